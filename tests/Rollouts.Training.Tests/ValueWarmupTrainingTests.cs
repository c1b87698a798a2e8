using System.Text.Json;
using Rollouts.Agent.Evaluation;
using Rollouts.Grains.Policy;
using Rollouts.Learner;
using Rollouts.Policy;

namespace Rollouts.Training.Tests;

/// <summary><c>ppo.value_warmup</c> in the learner, and <c>rollouts train --sft-checkpoint</c>.</summary>
public class ValueWarmupTrainingTests
{
    public ValueWarmupTrainingTests() => TestSupport.Init();

    private static Dictionary<string, float[]> Weights(byte[] blob, Rollouts.Config.RolloutsConfig config)
    {
        using var model = PolicySetup.NewModel(config);
        PolicySetup.Import(model, blob);
        return model.NamedTensors().ToDictionary(p => p.Name, p => p.Tensor.detach().data<float>().ToArray());
    }

    private static bool IsValueHead(string name) => name.StartsWith("value_head.", StringComparison.Ordinal);

    [Fact]
    public void Warmup_updates_fit_only_the_value_head_then_ppo_trains_the_policy()
    {
        var config = TestSupport.TinyExperiment(episodeSteps: 20);
        config.Ppo.ValueWarmup = 2;
        config.Env.EnvsPerActor = 4;
        config.Rollout.Actors = 1;
        config.Env.Length = 30;
        using var learner = new TorchLearnerAlgorithm(config);
        learner.RunSft(null, CancellationToken.None);
        var sft = Weights(learner.ExportWeights(), config);
        Assert.Contains(sft.Keys, IsValueHead);
        Assert.All(sft.Where(p => IsValueHead(p.Key)), p => Assert.All(p.Value, v => Assert.Equal(0f, v)));

        using var policy = new TorchDecisionPolicy(config);
        policy.LoadWeights(learner.ExportWeights(), 0);
        var rollouts = new LocalRollouts(config, policy);
        var finished = new List<EpisodeResult>();
        var previous = sft;
        for (int update = 1; update <= 3; update++)
        {
            var chunk = rollouts.Collect(16, update - 1, finished);
            var outcome = learner.Update([new WeightedChunk(chunk, 1f, 0)], CancellationToken.None);
            var now = Weights(learner.ExportWeights(), config);
            bool warmup = update <= 2;
            Assert.Equal(warmup, outcome.Extra!.ContainsKey("value_warmup"));
            Assert.Equal(!warmup, outcome.Extra.ContainsKey("pg_loss"));
            foreach (var (name, values) in now)
            {
                bool same = values.AsSpan().SequenceEqual(previous[name]);
                if (IsValueHead(name)) Assert.False(same, $"update {update}: {name} did not change");
                else Assert.True(same == warmup, $"update {update}: {name} {(warmup ? "changed in a warm-up update" : "did not change in a PPO update")}");
            }
            previous = now;
            policy.LoadWeights(learner.ExportWeights(), update);
            rollouts.InvalidatePending();
        }
    }

    [Fact]
    public void Without_warmup_the_value_head_is_what_sft_left()
    {
        var config = TestSupport.TinyExperiment(episodeSteps: 20);
        using var learner = new TorchLearnerAlgorithm(config);
        var weights = Weights(learner.ExportWeights(), config);
        Assert.Contains(weights, p => IsValueHead(p.Key) && p.Value.Any(v => v != 0f));
    }

    [Fact]
    public void Train_from_an_sft_checkpoint_skips_sft_and_starts_ppo_from_it()
    {
        using var dir = new TempDir();
        string config = Path.Combine(dir.Path, "tiny.yaml");
        File.WriteAllText(config, TrainCommandTests.TinyYaml);
        string first = Path.Combine(dir.Path, "first");
        var (code, stdout, stderr) = TrainCommandTests.Train(config, first);
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");

        string second = Path.Combine(dir.Path, "second");
        string from = Path.Combine(first, "sft.ckpt");
        (code, stdout, stderr) = TrainCommandTests.Train(config, second, sftCheckpoint: from);
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        Assert.Contains("loaded from", stdout);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(second, "summary.json")));
        Assert.Equal(Path.GetFullPath(from), summary.RootElement.GetProperty("sft_checkpoint").GetString());
        Assert.Equal(0, summary.RootElement.GetProperty("sft_training").GetProperty("samples").GetInt64());
        // The same student, evaluated on the same seeds: the same SFT score; its weights are carried over unchanged.
        using var firstSummary = JsonDocument.Parse(File.ReadAllText(Path.Combine(first, "summary.json")));
        Assert.Equal(firstSummary.RootElement.GetProperty("sft").GetProperty("crafter_score").GetDouble(),
            summary.RootElement.GetProperty("sft").GetProperty("crafter_score").GetDouble());
        using (var a = PolicyCheckpoint.LoadModel(from).Model)
        using (var b = PolicyCheckpoint.LoadModel(Path.Combine(second, "sft.ckpt")).Model)
        {
            var ta = a.NamedTensors();
            var tb = b.NamedTensors();
            for (int i = 0; i < ta.Count; i++)
                Assert.True(ta[i].Tensor.data<float>().ToArray().SequenceEqual(tb[i].Tensor.data<float>().ToArray()), ta[i].Name);
        }
        Assert.Equal("ppo", PolicyCheckpoint.ReadInfo(Path.Combine(second, "ppo.ckpt")).Kind);
    }

    [Fact]
    public void Train_with_a_warmup_logs_it_and_starts_the_policy_gradient_after_it()
    {
        using var dir = new TempDir();
        string config = Path.Combine(dir.Path, "tiny.yaml");
        File.WriteAllText(config, TrainCommandTests.TinyYaml
            .Replace("  total_env_steps: 64\n", "  total_env_steps: 128\n")
            .Replace("  steps_per_update: 64\n", "  steps_per_update: 64\n  value_warmup: 1\n"));
        Assert.Equal(1, Rollouts.Config.ConfigLoader.Load(config).Ppo.ValueWarmup);
        string outDir = Path.Combine(dir.Path, "run");
        var (code, stdout, stderr) = TrainCommandTests.Train(config, outDir);
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        Assert.Contains("iter 1/2 (value warm-up", stdout);
        Assert.DoesNotContain("iter 2/2 (value warm-up", stdout);
        var csv = File.ReadAllLines(Path.Combine(outDir, "metrics.csv"));
        int pg = Array.IndexOf(csv[0].Split(','), "pg_loss");
        Assert.Equal(3, csv.Length);
        Assert.Equal("", csv[1].Split(',')[pg]);   // the warm-up has no policy loss
        Assert.NotEqual("", csv[2].Split(',')[pg]);
    }

    [Fact]
    public void A_wrong_sft_checkpoint_is_refused_before_anything_is_written()
    {
        using var dir = new TempDir();
        string config = Path.Combine(dir.Path, "tiny.yaml");
        File.WriteAllText(config, TrainCommandTests.TinyYaml);

        // Another model shape.
        string wide = TestSupport.TinyCheckpoint(dir.Path, TestSupport.TinyConfig() with { DModel = 32 }, name: "wide.ckpt");
        string outDir = Path.Combine(dir.Path, "run");
        var (code, _, stderr) = TrainCommandTests.Train(config, outDir, sftCheckpoint: wide);
        Assert.Equal(2, code);
        Assert.Contains("wide.ckpt", stderr);
        Assert.Contains("d_model 32", stderr);
        Assert.False(Directory.Exists(outDir));

        // A PPO checkpoint is not an SFT student.
        string ppo = Path.Combine(dir.Path, "ppo.ckpt");
        using (var model = PolicySetup.NewModel(Rollouts.Config.ConfigLoader.Load(config)))
            PolicyCheckpoint.Save(ppo, model, 3, "ppo");
        (code, _, stderr) = TrainCommandTests.Train(config, outDir, sftCheckpoint: ppo);
        Assert.Equal(2, code);
        Assert.Contains("'ppo' checkpoint", stderr);
        Assert.False(Directory.Exists(outDir));

        // A truncated file.
        string truncated = Path.Combine(dir.Path, "truncated.ckpt");
        File.WriteAllBytes(truncated, File.ReadAllBytes(ppo)[..100]);
        (code, _, stderr) = TrainCommandTests.Train(config, outDir, sftCheckpoint: truncated);
        Assert.Equal(2, code);
        Assert.Contains("truncated", stderr);
        Assert.False(Directory.Exists(outDir));
    }
}
