using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rollouts.Policy;

/// <summary>AdamW settings shared by SFT and PPO.</summary>
public sealed record OptimizerOptions(
    double LearningRate = 3e-4,
    double WeightDecay = 0.01,
    double Beta1 = 0.9,
    double Beta2 = 0.95,
    double Eps = 1e-8,
    double MaxGradNorm = 1.0)
{
    public OptimizerOptions Validate()
    {
        if (!(LearningRate > 0)) throw new ArgumentException($"OptimizerOptions.LearningRate must be positive, got {LearningRate}.");
        if (WeightDecay < 0) throw new ArgumentException($"OptimizerOptions.WeightDecay must be >= 0, got {WeightDecay}.");
        if (Beta1 is < 0 or >= 1) throw new ArgumentException($"OptimizerOptions.Beta1 must be in [0, 1), got {Beta1}.");
        if (Beta2 is < 0 or >= 1) throw new ArgumentException($"OptimizerOptions.Beta2 must be in [0, 1), got {Beta2}.");
        if (!(MaxGradNorm > 0)) throw new ArgumentException($"OptimizerOptions.MaxGradNorm must be positive, got {MaxGradNorm}.");
        return this;
    }

    internal AdamW Create(PolicyModel model) =>
        new HeldScalarOptimizer.AdamW(model.parameters(), LearningRate, Beta1, Beta2, Eps, WeightDecay);
}

/// <summary>One SFT step's numbers.</summary>
public sealed record SftStepStats(long Step, float Loss, double GradNorm, int OutputTokens);

/// <summary>
/// Supervised fine-tuning on teacher outputs: next-token cross-entropy on the output tokens only
/// (prompt tokens are context, not targets), AdamW, global gradient-norm clipping, checkpoints that
/// resume at the saved step.
/// </summary>
public sealed class SftTrainer : IDisposable
{
    public const string CheckpointKind = "sft";
    private readonly AdamW optimizer;
    private readonly int pad;

    private readonly GradientShards? shards;

    /// <param name="shards">
    /// How many parts each batch is split into, each on its own thread with its own copy of the model and one libtorch
    /// thread (<see cref="GradientShards"/>); their gradients add up to the whole batch's, so a step is the same step up
    /// to float rounding. For the CPU (bench/README.md).
    /// </param>
    public SftTrainer(PolicyModel model, int padId, OptimizerOptions? options = null, TargetEmphasis? emphasis = null, int shards = 1)
    {
        if (shards < 1) throw new ArgumentException($"shards must be at least 1, got {shards}.", nameof(shards));
        Model = model;
        pad = padId;
        Options = (options ?? new OptimizerOptions()).Validate();
        Emphasis = emphasis?.Validate();
        optimizer = Options.Create(model);
        Shards = shards;
        if (shards > 1) this.shards = new GradientShards(model, shards);
    }

    /// <summary>Parts each batch is split into (1: the whole batch on the calling thread).</summary>
    public int Shards { get; }

    /// <summary>
    /// With <see cref="Shards"/> &gt; 1: whether each step runs sharded or whole by the time per token each way took in
    /// periodic trials (<see cref="ShardingChoice"/>), rather than always sharded. The same steps either way.
    /// </summary>
    public bool ShardWhenFaster
    {
        get => shards?.ChooseByTime ?? false;
        set { if (shards is not null) shards.ChooseByTime = value; }
    }

    /// <summary>Steps of this trainer that ran sharded (all of them with <see cref="Shards"/> &gt; 1 unless <see cref="ShardWhenFaster"/>).</summary>
    public long ShardedSteps => shards?.ShardedSteps ?? 0;

    /// <summary>Targets that weigh more in the loss (null: every output token alike).</summary>
    public TargetEmphasis? Emphasis { get; }

    public PolicyModel Model { get; }
    public OptimizerOptions Options { get; }
    /// <summary>Optimizer steps taken (restored by <see cref="LoadCheckpoint"/>).</summary>
    public long Step { get; private set; }

    /// <summary>
    /// The learning rate of the next steps as a multiple of <see cref="OptimizerOptions.LearningRate"/> (1 unless a
    /// schedule lowers it; 0 leaves the weights where they are apart from weight decay, which AdamW scales by it too).
    /// </summary>
    public double LearningRateScale
    {
        get => learningRateScale;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentException($"LearningRateScale must be non-negative and finite, got {value}.");
            learningRateScale = value;
            foreach (var group in optimizer.ParamGroups) group.LearningRate = Options.LearningRate * value;
        }
    }
    private double learningRateScale = 1.0;

    /// <summary>Several sequences per row in the forward pass (see <see cref="ScoringBatch"/>); false only to measure the gain.</summary>
    internal bool PackSequences { get; set; } = true;

    /// <summary>One forward/backward/AdamW step on a batch of (prompt, teacher output) pairs.</summary>
    public SftStepStats TrainStep(IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> outputs)
    {
        using var scope = torch.NewDisposeScope();
        Model.train();
        optimizer.zero_grad();
        float loss = shards is null || prompts.Count < Shards
            ? WholeBackward(prompts, outputs)
            : shards.RunStep(Tokens(prompts) + Tokens(outputs), () => WholeBackward(prompts, outputs), () => ShardedBackward(prompts, outputs));
        double norm = torch.nn.utils.clip_grad_norm_(Model.parameters(), Options.MaxGradNorm);
        optimizer.step();
        Step++;
        return new SftStepStats(Step, loss, norm, outputs.Sum(o => o.Length));
    }

    private float WholeBackward(IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> outputs)
    {
        var whole = PolicyScorer.OutputCrossEntropy(Model, pad, prompts, outputs, Emphasis, PackSequences);
        whole.backward();
        return whole.item<float>();
    }

    private static long Tokens(IReadOnlyList<int[]> rows)
    {
        long n = 0;
        foreach (var r in rows) n += r?.Length ?? 0;
        return n;
    }

    // Each shard's loss is its part of the whole batch's weighted sum over the whole batch's weight, so the shards' losses
    // and gradients add up to the whole batch's.
    private float ShardedBackward(IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> outputs)
    {
        if (prompts.Count != outputs.Count) throw new ArgumentException($"{prompts.Count} prompts but {outputs.Count} outputs.");
        double total = PolicyScorer.LossWeight(outputs, Emphasis);
        // Null entries count as empty here and are reported by the scoring batch.
        var groups = GradientShards.Balance(prompts.Count, i => (prompts[i]?.Length ?? 0) + (outputs[i]?.Length ?? 0), Shards);
        var losses = new float[Shards];
        shards!.Backward((shard, model, _) =>
        {
            var part = PolicyScorer.OutputCrossEntropy(model, pad, groups[shard].Select(i => prompts[i]).ToArray(),
                groups[shard].Select(i => outputs[i]).ToArray(), Emphasis, PackSequences, total);
            part.backward();
            losses[shard] = part.item<float>();
        });
        return losses.Sum();
    }

    /// <summary>The SFT loss on a batch without updating anything.</summary>
    public float EvaluateLoss(IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> outputs)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        Model.eval();
        return PolicyScorer.OutputCrossEntropy(Model, pad, prompts, outputs).item<float>();
    }

    /// <summary>Writes weights, shape, step and AdamW state atomically.</summary>
    public void SaveCheckpoint(string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        PolicyCheckpoint.Save(path, Model, Step, CheckpointKind, optimizer, metadata);

    /// <summary>Restores weights, AdamW state and the step counter (from an SFT checkpoint); training continues from the saved step.</summary>
    public PolicyCheckpointInfo LoadCheckpoint(string path)
    {
        (var info, Step) = PolicyCheckpoint.LoadForTrainer(path, Model, optimizer, CheckpointKind);
        return info;
    }

    public void Dispose()
    {
        shards?.Dispose();
        optimizer.Dispose();
    }
}
