using Rollouts.Agent;
using Rollouts.Policy;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Rollouts.Training.Tests;

internal static class TestSupport
{
    static TestSupport()
    {
        TorchRuntime.EnsureLoaded();
        TorchRuntime.SetCpuThreads(1);
        PolicyAgents.Register();
    }

    /// <summary>A tiny model for the real vocabulary, short context (prompts get cut to fit).</summary>
    public static PolicyConfig TinyConfig(int vocab = -1, int context = 96) =>
        new(vocab < 0 ? Vocabulary.Size : vocab, DModel: 16, Layers: 1, Heads: 2, DFf: 32, MaxContext: context);

    /// <summary>Writes a checkpoint of a freshly initialised tiny model.</summary>
    public static string TinyCheckpoint(string dir, PolicyConfig? config = null, string name = "tiny.ckpt", IReadOnlyDictionary<string, string>? metadata = null)
    {
        string path = Path.Combine(dir, name);
        using var model = new PolicyModel(config ?? TinyConfig(), TorchSharp.torch.CPU, seed: 3);
        PolicyCheckpoint.Save(path, model, 0, "sft", metadata: metadata);
        return path;
    }

    /// <summary>A valid experiment config with a tiny model and a few short SFT episodes (for the learner and train).</summary>
    public static Rollouts.Config.RolloutsConfig TinyExperiment(int episodeSteps)
    {
        var config = new Rollouts.Config.RolloutsConfig();
        config.Experiment.Seed = 3;
        config.Model.DModel = 16;
        config.Model.Layers = 1;
        config.Model.Heads = 2;
        config.Model.Context = 96;
        config.Model.MaxOutputTokens = 12;
        config.Sft.Episodes = 2;
        config.Sft.EpisodeSteps = episodeSteps;
        config.Sft.Steps = 3;
        config.Sft.BatchSize = 8;
        Assert.Empty(config.Validate());
        return config;
    }

    public static void Init() { }
}

/// <summary>A temporary folder, deleted afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rollouts-training-tests-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

