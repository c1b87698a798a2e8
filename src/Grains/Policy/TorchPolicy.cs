using Rollouts.Agent;
using Rollouts.Config;
using Rollouts.Crafter;
using Rollouts.Policy;
using TorchSharp;

namespace Rollouts.Grains.Policy;

/// <summary>The pieces shared by the acting policy and the learner: token ids, grammar, model shape, weight blobs.</summary>
public static class PolicySetup
{
    public static readonly TokenSpec Tokens = new(Vocabulary.Size, Vocabulary.Pad, Vocabulary.Plan, Vocabulary.PlanEnd, Vocabulary.Act,
        Vocabulary.Eos,
        ActionIds: Enum.GetValues<CrafterAction>().Select(Vocabulary.ActionToken).ToArray(),
        PlanWordIds: Subgoals.AllTokens.Order().ToArray());

    /// <summary>What the SFT teacher sees (<c>sft.teacher_vision</c>) and its planning schedule (<c>sft.schedule</c>; null
    /// for <c>mixed</c>: <see cref="Agent.Teaching.PlanningSchedule.ForEpisode"/> per episode).</summary>
    public static (Agent.Teaching.TeacherVision Vision, Agent.Teaching.PlanningSchedule? Schedule) SftTeacher(RolloutsConfig config) =>
        (AgentFactory.ParseVision(config.Sft.TeacherVision)
                ?? throw new ArgumentException($"sft.teacher_vision must be local or full, got '{config.Sft.TeacherVision}'."),
            AgentFactory.ParseSchedule(config.Sft.Schedule));

    public static OutputGrammar Grammar(RolloutsConfig config) =>
        new(Tokens, maxPlanTokens: Math.Max(4, config.Model.MaxOutputTokens - 4), endWithEos: false);

    public static PolicyConfig ModelConfig(RolloutsConfig config) => new(
        VocabSize: Tokens.VocabSize,
        DModel: config.Model.DModel,
        Layers: config.Model.Layers,
        Heads: config.Model.Heads,
        DFf: 4 * config.Model.DModel,
        MaxContext: config.Model.Context,
        Positions: Enum.Parse<PositionEncoding>(config.Model.Positions, ignoreCase: true)); // rotary|learned, checked by the config

    public static torch.Device Device(RolloutsConfig config) => TorchRuntime.ResolveDevice(config.Model.Device); // cpu|cuda|auto, checked by the config

    /// <summary>
    /// Stops before any work when the config asks for CUDA and this process cannot use it (no GPU, or a CPU-only
    /// libtorch), naming the file and the field; otherwise the first model built on the GPU would fail minutes in.
    /// </summary>
    public static void CheckDeviceAvailable(RolloutsConfig config, string configPath)
    {
        if (config.Model.Device != "cuda" || TorchRuntime.CudaAvailable) return;
        throw new ConfigException($"{configPath}: model.device is cuda, but this process cannot use a CUDA device (it needs a GPU and " +
            "a CUDA libtorch: README, \"Policy and training\"); set model.device to cpu, or to auto to use a GPU where there is one.");
    }

    /// <summary>A fresh model; every process of the experiment starts from the same weights (seeded by the experiment).</summary>
    public static PolicyModel NewModel(RolloutsConfig config)
    {
        TorchRuntime.EnsureLoaded();
        // Small models run fastest on one thread per process; the inference and learner roles share the cores.
        if (config.Model.Device == "cpu") TorchRuntime.SetCpuThreads(1);
        return new PolicyModel(ModelConfig(config).Validate(), Device(config), seed: config.Experiment.Seed);
    }

    /// <summary>The weights as a blob: a policy checkpoint file (checksummed), as <see cref="PolicyCheckpoint"/> writes it.</summary>
    public static byte[] Export(PolicyModel model, long step, string kind)
    {
        string path = Path.Combine(Path.GetTempPath(), $"rollouts-export-{Environment.ProcessId}-{Guid.NewGuid():N}.ckpt");
        try
        {
            PolicyCheckpoint.Save(path, model, step, kind);
            return File.ReadAllBytes(path);
        }
        finally { File.Delete(path); }
    }

    public static void Import(PolicyModel model, byte[] blob)
    {
        string path = Path.Combine(Path.GetTempPath(), $"rollouts-import-{Environment.ProcessId}-{Guid.NewGuid():N}.ckpt");
        try
        {
            File.WriteAllBytes(path, blob);
            PolicyCheckpoint.LoadInto(path, model);
        }
        finally { File.Delete(path); }
    }
}

/// <summary>The TorchSharp transformer as the inference grain's policy: grammar-constrained sampling with a KV cache.</summary>
public sealed class TorchDecisionPolicy : IDecisionPolicy
{
    private readonly PolicyModel _model;
    private readonly OutputGrammar _grammar;
    private readonly DecodeOptions _decode;
    private readonly torch.Generator _generator;

    public TorchDecisionPolicy(RolloutsConfig config)
    {
        _model = PolicySetup.NewModel(config);
        _model.eval();
        _grammar = PolicySetup.Grammar(config);
        _decode = new DecodeOptions(Temperature: config.Model.Temperature);
        _generator = new torch.Generator((ulong)(config.Experiment.Seed * 31 + 7), torch.CPU); // TorchSharp generators are CPU ones; the decoder moves its draws
    }

    public int Version { get; private set; }

    public PolicyOutput[] DecideBatch(IReadOnlyList<int[]> prompts)
    {
        using var noGrad = torch.no_grad();
        var results = PolicyDecoder.Generate(_model, _grammar, prompts, _decode, _generator);
        var outputs = new PolicyOutput[results.Length];
        for (int i = 0; i < results.Length; i++)
            outputs[i] = new PolicyOutput(results[i].Output, results[i].LogProb, results[i].Value, results[i].PlanTokens);
        return outputs;
    }

    public void LoadWeights(byte[] weights, int version)
    {
        PolicySetup.Import(_model, weights);
        Version = version;
    }

    public void Dispose()
    {
        _generator.Dispose();
        _model.Dispose();
    }
}

public sealed class TorchDecisionPolicyFactory : IDecisionPolicyFactory
{
    public IDecisionPolicy Create(RolloutsConfig config) => new TorchDecisionPolicy(config);
}
