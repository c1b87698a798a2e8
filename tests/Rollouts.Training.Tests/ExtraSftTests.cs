using System.Text.Json;
using Rollouts.Config;
using Rollouts.Grains.Policy;

namespace Rollouts.Training.Tests;

/// <summary><c>sft.extra_steps</c>: more SFT on the warm-up's teacher data, in <c>rollouts train</c> only.</summary>
public class ExtraSftTests
{
    public ExtraSftTests() => TestSupport.Init();

    private static RolloutsConfig TinyConfig() => TestSupport.TinyExperiment(episodeSteps: 20);

    [Fact]
    public void Continued_sft_trains_on_the_warmup_data()
    {
        var config = TinyConfig();
        using var learner = new TorchLearnerAlgorithm(config);
        Assert.Empty(learner.SftData);
        var warmup = learner.RunSft(null, CancellationToken.None);
        Assert.Equal(warmup.Extra!["sft_records"], learner.SftData.Count);
        Assert.True(learner.SftData.Count > 0);
        Assert.All(learner.SftData, r => Assert.True(r.Prompt.Length + r.Output.Length <= config.Model.Context));

        var before = learner.ExportWeights();
        int reports = 0;
        var more = learner.ContinueSft(learner.SftData, steps: 5, seed: 1, _ => reports++);
        Assert.Equal(5L * 8, more.Samples);
        Assert.True(reports > 0);
        Assert.True(double.IsFinite(more.Loss));
        Assert.False(before.AsSpan().SequenceEqual(learner.ExportWeights()));

        // Nothing that fits the context, or no steps: nothing happens.
        var tooLong = new List<(int[] Prompt, int[] Output)> { (new int[200], new int[2]) };
        Assert.Equal(0, learner.ContinueSft(tooLong, 5, 1).Samples);
        Assert.Equal(0, learner.ContinueSft(learner.SftData, 0, 1).Samples);
    }

    private static float[] Flat(byte[] weights, RolloutsConfig config)
    {
        using var model = PolicySetup.NewModel(config);
        PolicySetup.Import(model, weights);
        return model.NamedTensors().SelectMany(p => p.Tensor.detach().data<float>().ToArray()).ToArray();
    }

    [Fact]
    public void With_averaging_the_student_is_the_average_and_training_goes_on_from_the_trained_weights()
    {
        var plainConfig = TinyConfig();
        var averagedConfig = TinyConfig();
        averagedConfig.Sft.AverageDecay = 0.5;
        using var plain = new TorchLearnerAlgorithm(plainConfig);
        using var averaged = new TorchLearnerAlgorithm(averagedConfig);
        // Same seed, data and steps: both train the same weights; only what they hand on differs.
        Assert.Equal(3L * 8, plain.RunSft(null, CancellationToken.None).Samples);
        Assert.Equal(3L * 8, averaged.RunSft(null, CancellationToken.None).Samples);
        float[] average1 = Flat(averaged.ExportWeights(), averagedConfig);
        Assert.False(Flat(plain.ExportWeights(), plainConfig).SequenceEqual(average1));

        plain.ContinueSft(plain.SftData, steps: 1, seed: 5);
        averaged.ContinueSft(averaged.SftData, steps: 1, seed: 5);
        // One more step from the trained weights (not from the average), folded in with the 4th update's decay,
        // min(0.5, (1 + 3) / (10 + 3)).
        float[] trained2 = Flat(plain.ExportWeights(), plainConfig);
        float[] average2 = Flat(averaged.ExportWeights(), averagedConfig);
        double d = 4.0 / 13;
        for (int i = 0; i < trained2.Length; i++)
            Assert.Equal(d * average1[i] + (1 - d) * trained2[i], average2[i], 1e-5); // a tolerance: rounding to 5 places splits 0.9981350 from 0.9981349
    }

    [Fact]
    public void Train_adds_the_extra_steps_after_the_warmup()
    {
        using var dir = new TempDir();
        string config = Path.Combine(dir.Path, "tiny.yaml");
        File.WriteAllText(config, TrainCommandTests.TinyYaml.Replace("  batch_size: 8\n", "  batch_size: 8\n  extra_steps: 3\n"));
        Assert.Equal(3, ConfigLoader.Load(config).Sft.ExtraSteps);
        string outDir = Path.Combine(dir.Path, "run");
        // Two SFT threads on the CPU: every SFT batch and PPO minibatch split over two model copies (GradientShards).
        var (code, stdout, stderr) = TrainCommandTests.Train(config, outDir, sftThreads: 2);
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        // 4 warm-up steps (no early stop before step 20) and 3 more, 8 examples each.
        Assert.Equal((4 + 3) * 8, summary.RootElement.GetProperty("sft_training").GetProperty("samples").GetInt64());
        Assert.Equal(2, summary.RootElement.GetProperty("update_shards").GetInt32());
        Assert.True(double.IsFinite(summary.RootElement.GetProperty("sft_training").GetProperty("final_loss").GetDouble()));
    }

    [Fact]
    public void Continued_sft_follows_the_learning_rate_schedule_and_ends_it_with_the_steps()
    {
        var config = TinyConfig();
        using var learner = new TorchLearnerAlgorithm(config);
        learner.RunSft(null, CancellationToken.None);
        var before = learner.ExportWeights();
        var asked = new List<int>();
        // A schedule at 0 throughout: AdamW moves nothing (its weight decay is scaled by the rate too).
        var more = learner.ContinueSft(learner.SftData, steps: 4, seed: 1, learningRateScale: step => { asked.Add(step); return 0; });
        Assert.Equal(4L * 8, more.Samples);
        Assert.Equal([0, 1, 2, 3], asked);
        Assert.True(before.AsSpan().SequenceEqual(learner.ExportWeights()));
        // Without a schedule the next steps run at the configured rate again, not at the last scale.
        learner.ContinueSft(learner.SftData, steps: 2, seed: 2);
        Assert.False(before.AsSpan().SequenceEqual(learner.ExportWeights()));
    }

    [Fact]
    public void Continued_sft_stops_when_asked_before_a_step()
    {
        var config = TinyConfig();
        using var learner = new TorchLearnerAlgorithm(config);
        learner.RunSft(null, CancellationToken.None);
        int asked = 0;
        var more = learner.ContinueSft(learner.SftData, steps: 10, seed: 1, stop: () => ++asked > 3);
        Assert.Equal(3L * 8, more.Samples);
        Assert.Equal(4, asked);
    }

    [Fact]
    public void Train_stops_the_extra_steps_when_their_share_of_the_time_is_used()
    {
        using var dir = new TempDir();
        string config = Path.Combine(dir.Path, "tiny.yaml");
        // max_minutes 0.001 (60 ms) is used up by the teacher evaluation and the warm-up: no extra step runs, and PPO
        // still does its first iteration.
        File.WriteAllText(config, TrainCommandTests.TinyYaml
            .Replace("  max_minutes: 5\n", "  max_minutes: 0.001\n")
            .Replace("  batch_size: 8\n", "  batch_size: 8\n  extra_steps: 50\n  time_share: 0.5\n"));
        Assert.Equal(0.5, ConfigLoader.Load(config).Sft.TimeShare);
        string outDir = Path.Combine(dir.Path, "run");
        var (code, stdout, stderr) = TrainCommandTests.Train(config, outDir);
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        Assert.Contains("stopped after 4 steps: sft.time_share (0.5) of experiment.max_minutes (0.001) used", stdout);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        Assert.Equal(4 * 8, summary.RootElement.GetProperty("sft_training").GetProperty("samples").GetInt64());
        Assert.True(File.Exists(Path.Combine(outDir, "ppo.ckpt")));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    public void A_time_share_outside_0_to_1_is_a_config_error(double share)
    {
        var config = TinyConfig();
        config.Sft.TimeShare = share;
        Assert.Contains(config.Validate(), e => e.Contains("sft.time_share"));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    public void A_decay_share_outside_0_to_1_is_a_config_error(double share)
    {
        var config = TinyConfig();
        config.Sft.DecayShare = share;
        Assert.Contains(config.Validate(), e => e.Contains("sft.decay_share"));
    }

    [Fact]
    public void Negative_extra_steps_are_a_config_error()
    {
        var config = TinyConfig();
        config.Sft.ExtraSteps = -1;
        Assert.Contains(config.Validate(), e => e.Contains("sft.extra_steps"));
    }
}
