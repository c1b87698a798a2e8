using System.Text.Json;
using Rollouts.Agent;
using Rollouts.Agent.Dataset;
using Rollouts.Agent.Teaching;
using Rollouts.Cli;
using Rollouts.Config;
using Rollouts.Crafter;
using Rollouts.Grains.Policy;

namespace Rollouts.Training.Tests;

/// <summary>The SFT data options: a local-vision teacher, action noise in its episodes, DAgger rounds in <c>rollouts train</c>.</summary>
public class DaggerAndNoiseTests
{
    public DaggerAndNoiseTests() => TestSupport.Init();

    private static RolloutsConfig TinyConfig() => TestSupport.TinyExperiment(episodeSteps: 30);

    [Fact]
    public void Dagger_labels_every_state_the_student_reaches_with_the_teachers_output()
    {
        var config = TinyConfig();
        using var student = new TorchDecisionPolicy(config);
        var data = DaggerCollector.Collect(config, student, episodes: 3, seed: 42);
        // Every student step is one record; an untrained student rarely dies in 30 steps, so about 3 x 30.
        Assert.InRange(data.Count, 3, 3 * config.Sft.EpisodeSteps);
        foreach (var (prompt, output) in data)
        {
            Assert.Equal(Vocabulary.Bos, prompt[0]);
            Assert.True(prompt.Length + output.Length <= config.Model.Context);
            // Teacher outputs: <act> A or <plan> ... </plan> <act> A.
            Assert.True(output[0] == Vocabulary.Act || output[0] == Vocabulary.Plan, $"output starts with {Vocabulary.Word(output[0])}");
        }
        // The first record of an episode is the teacher's label for the start state: what the teacher itself would do.
        var env = new CrafterEnv(Agent.Evaluation.EpisodeRunner.EpisodeSeed(42, 0), new CrafterOptions { Length = config.Sft.EpisodeSteps });
        env.Reset();
        var teacher = new Teacher(new TeacherOptions { Vision = TeacherVision.Local, Schedule = PlanningSchedule.ForEpisode(env.Seed) });
        teacher.Reset(env);
        Assert.Equal(teacher.Decide(env).OutputTokens, data[0].Output);
    }

    [Fact]
    public void Action_noise_changes_what_runs_but_labels_stay_the_teachers()
    {
        var clean = SftDatasetGenerator.PlayEpisode(77, 0, 200, PlanningSchedule.Never, TeacherVision.Local, actionNoise: 0);
        var noisy = SftDatasetGenerator.PlayEpisode(77, 0, 200, PlanningSchedule.Never, TeacherVision.Local, actionNoise: 0.3);
        // Same start, then the slips take the episode elsewhere.
        Assert.Equal(clean[0].Prompt, noisy[0].Prompt);
        Assert.NotEqual(clean.Select(r => string.Join(",", r.Prompt)), noisy.Select(r => string.Join(",", r.Prompt)));
        // The prompt's recent actions show what ran: somewhere a prompt's last action differs from the previous label.
        int slips = 0;
        for (int i = 1; i < noisy.Count; i++)
        {
            var p = noisy[i].Prompt;
            int shown = p[Array.LastIndexOf(p, Vocabulary.ObsEnd) - 1];
            var label = noisy[i - 1].Output;
            int labelled = label[Array.IndexOf(label, Vocabulary.Act) + 1];
            if (shown != labelled) slips++;
        }
        Assert.InRange(slips, 1, noisy.Count / 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => SftDatasetGenerator.PlayEpisode(77, 0, 10, PlanningSchedule.Never, actionNoise: 1.5));
    }

    [Fact]
    public void A_fixed_sft_schedule_is_what_the_teacher_data_uses()
    {
        var config = TinyConfig();
        config.Sft.Schedule = "every";
        Assert.Empty(config.Validate());
        using var learner = new TorchLearnerAlgorithm(config);
        learner.RunSft(null, CancellationToken.None);
        // Every step plans: every output starts with <plan>.
        Assert.All(learner.SftData, r => Assert.Equal(Vocabulary.Plan, r.Output[0]));
        config.Sft.Schedule = "never";
        using var never = new TorchLearnerAlgorithm(config);
        never.RunSft(null, CancellationToken.None);
        Assert.All(never.SftData, r => Assert.Equal(Vocabulary.Act, r.Output[0]));
    }

    [Fact]
    public void Train_runs_dagger_rounds_after_the_warmup()
    {
        using var dir = new TempDir();
        string config = Path.Combine(dir.Path, "tiny.yaml");
        File.WriteAllText(config, TrainCommandTests.TinyYaml.Replace("  batch_size: 8\n", "  batch_size: 8\n  dagger_rounds: 2\n  dagger_episodes: 2\n  dagger_steps: 3\n"));
        string outDir = Path.Combine(dir.Path, "run");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = TrainCommand.Run(config, outDir, threads: 1, stdout, stderr);
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        // 4 warm-up steps and 2 rounds of 3, 8 examples each.
        Assert.Equal((4 + 2 * 3) * 8, summary.RootElement.GetProperty("sft_training").GetProperty("samples").GetInt64());
    }

    [Theory]
    [InlineData("teacher_vision: partial", "sft.teacher_vision")]
    [InlineData("action_noise: 1.0", "sft.action_noise")]
    [InlineData("dagger_rounds: -1", "sft.dagger_rounds")]
    [InlineData("schedule: sometimes", "sft.schedule")]
    [InlineData("action_balance: 1.5", "sft.action_balance")]
    [InlineData("action_loss_weight: 0", "sft.action_loss_weight")]
    [InlineData("schedule: every-0", "sft.schedule")]
    [InlineData("dagger_episodes: 0", "sft.dagger_episodes")]
    [InlineData("dagger_steps: -5", "sft.dagger_steps")]
    [InlineData("average_decay: 1", "sft.average_decay")]
    [InlineData("average_decay: -0.5", "sft.average_decay")]
    [InlineData("decay_share: 2", "sft.decay_share")]
    public void Bad_sft_data_options_are_config_errors(string line, string field)
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "bad.yaml");
        File.WriteAllText(path, TrainCommandTests.TinyYaml.Replace("  batch_size: 8\n", $"  batch_size: 8\n  {line}\n"));
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));
        Assert.Contains(field, error.Message);
    }

    [Fact]
    public void A_history_length_the_prompt_does_not_support_is_a_config_error()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "bad.yaml");
        File.WriteAllText(path, TrainCommandTests.TinyYaml.Replace("  length: 40\n", "  length: 40\n  recent_actions: 8\n"));
        Assert.Contains("env.recent_actions", Assert.Throws<ConfigException>(() => ConfigLoader.Load(path)).Message);
    }

    [Fact]
    public void Action_balance_draws_rare_actions_more_often()
    {
        int act = Vocabulary.Act, move = Vocabulary.ActionToken(CrafterAction.MoveLeft), table = Vocabulary.ActionToken(CrafterAction.PlaceTable);
        var data = Enumerable.Range(0, 99).Select(_ => (new[] { 1 }, new[] { act, move }))
            .Append((new[] { 1 }, new[] { act, table })).ToList();
        Assert.Null(TorchLearnerAlgorithm.SamplingWeights(data, 0));
        double Share(double balance)
        {
            var c = TorchLearnerAlgorithm.SamplingWeights(data, balance)!;
            return (c[^1] - c[^2]) / c[^1]; // the last record is the rare one
        }
        Assert.Equal(0.01, Share(1e-9), 3);
        Assert.Equal(0.5, Share(1), 6);              // each action equally often
        Assert.InRange(Share(0.5), 0.05, 0.15);      // 1/sqrt(1) vs 99/sqrt(99): about 9 %
    }
}
