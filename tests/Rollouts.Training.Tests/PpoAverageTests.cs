using Rollouts.Agent.Evaluation;
using Rollouts.Config;
using Rollouts.Grains.Policy;
using Rollouts.Learner;

namespace Rollouts.Training.Tests;

/// <summary><c>ppo.average_decay</c>: the final PPO policy is the moving average of the policy-update weights.</summary>
public class PpoAverageTests
{
    public PpoAverageTests() => TestSupport.Init();

    private static Dictionary<string, float[]> Weights(byte[] blob, RolloutsConfig config)
    {
        using var model = PolicySetup.NewModel(config);
        PolicySetup.Import(model, blob);
        return model.NamedTensors().ToDictionary(p => p.Name, p => p.Tensor.detach().data<float>().ToArray());
    }

    /// <summary>SFT, then <paramref name="updates"/> PPO updates; the weights before PPO and after each update.</summary>
    private static List<Dictionary<string, float[]>> Train(TorchLearnerAlgorithm learner, RolloutsConfig config, int updates)
    {
        learner.RunSft(null, CancellationToken.None);
        var seen = new List<Dictionary<string, float[]>> { Weights(learner.ExportWeights(), config) };
        using var policy = new TorchDecisionPolicy(config);
        policy.LoadWeights(learner.ExportWeights(), 0);
        var rollouts = new LocalRollouts(config, policy);
        var finished = new List<EpisodeResult>();
        for (int update = 1; update <= updates; update++)
        {
            var chunk = rollouts.Collect(16, update - 1, finished);
            learner.Update([new WeightedChunk(chunk, 1f, 0)], CancellationToken.None);
            seen.Add(Weights(learner.ExportWeights(), config));
            policy.LoadWeights(learner.ExportWeights(), update);
            rollouts.InvalidatePending();
        }
        return seen;
    }

    private static RolloutsConfig Tiny(double averageDecay, int valueWarmup = 0)
    {
        var config = TestSupport.TinyExperiment(episodeSteps: 20);
        config.Ppo.AverageDecay = averageDecay;
        config.Ppo.ValueWarmup = valueWarmup;
        config.Env.EnvsPerActor = 4;
        config.Rollout.Actors = 1;
        config.Env.Length = 30;
        return config;
    }

    [Fact]
    public void The_final_policy_is_the_warmed_up_moving_average_of_the_policy_updates()
    {
        var config = Tiny(averageDecay: 0.5, valueWarmup: 1);
        using var learner = new TorchLearnerAlgorithm(config);
        var seen = Train(learner, config, updates: 4);

        // Update 1 is the value warm-up (not averaged); the average starts from the weights before update 2 and folds
        // in updates 2, 3, 4 with decays min(0.5, (1 + n) / (10 + n)) = 0.1, 0.1818…, 0.25.
        var final = Weights(learner.ExportFinalWeights(), config);
        foreach (var (name, values) in final)
        {
            for (int i = 0; i < values.Length; i++)
            {
                double avg = seen[1][name][i];
                for (int n = 0; n < 3; n++)
                {
                    double d = Math.Min(0.5, (1.0 + n) / (10.0 + n));
                    avg = d * avg + (1 - d) * seen[2 + n][name][i];
                }
                Assert.True(Math.Abs(avg - values[i]) <= 1e-5 + 1e-5 * Math.Abs(avg), $"{name}[{i}]: {values[i]} vs {avg}");
            }
        }
        Assert.Contains(final, p => !p.Value.AsSpan().SequenceEqual(seen[^1][p.Key]));

        // Exporting the average leaves training where it was.
        var after = Weights(learner.ExportWeights(), config);
        Assert.All(after, p => Assert.True(p.Value.AsSpan().SequenceEqual(seen[^1][p.Key]), p.Key));
    }

    [Fact]
    public void Without_averaging_the_final_policy_is_the_last_weights()
    {
        var config = Tiny(averageDecay: 0);
        using var learner = new TorchLearnerAlgorithm(config);
        Train(learner, config, updates: 2);
        Assert.Equal(learner.ExportWeights(), learner.ExportFinalWeights());
    }

    [Theory]
    [InlineData("  average_decay: 1\n")]
    [InlineData("  average_decay: -0.1\n")]
    public void A_decay_outside_0_to_1_is_a_config_error(string line)
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "bad.yaml");
        File.WriteAllText(path, TrainCommandTests.TinyYaml.Replace("  steps_per_update: 64\n", "  steps_per_update: 64\n" + line));
        Assert.Contains("ppo.average_decay", Assert.Throws<ConfigException>(() => ConfigLoader.Load(path)).Message);
    }
}
