using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rollouts.Policy;

/// <summary>PPO hyper-parameters (names as in CleanRL).</summary>
public sealed record PpoOptions
{
    public double Gamma { get; init; } = 0.99;
    public double GaeLambda { get; init; } = 0.95;
    /// <summary>ε of the clipped surrogate (and of the value clipping).</summary>
    public double ClipCoef { get; init; } = 0.2;
    /// <summary>Clip the value loss around the old values.</summary>
    public bool ClipVloss { get; init; } = true;
    public double VfCoef { get; init; } = 0.5;
    public double EntCoef { get; init; } = 0.01;
    /// <summary>Coefficient of the KL penalty to the reference policy (0: off).</summary>
    public double KlCoef { get; init; }
    /// <summary>Reward subtracted per plan token (applied with <see cref="Ppo.ApplyPlanningCost"/> before GAE).</summary>
    public double PlanningCostCoef { get; init; }
    public int UpdateEpochs { get; init; } = 4;
    public int MinibatchSize { get; init; } = 64;
    public bool NormAdv { get; init; } = true;
    /// <summary>Stop the epochs early when approx_kl exceeds this (null: never).</summary>
    public double? TargetKl { get; init; }
    /// <summary>Temperature the rollouts were sampled at (<see cref="DecodeOptions.LogProbTemperature"/>).</summary>
    public double Temperature { get; init; } = 1.0;
    public OptimizerOptions Optimizer { get; init; } = new(LearningRate: 1e-4, WeightDecay: 0.0);
    /// <summary>Seed of the minibatch shuffling.</summary>
    public int Seed { get; init; } = 1;

    public PpoOptions Validate()
    {
        if (ClipCoef <= 0) throw new ArgumentException($"PpoOptions.ClipCoef must be positive, got {ClipCoef}.");
        if (UpdateEpochs <= 0) throw new ArgumentException($"PpoOptions.UpdateEpochs must be positive, got {UpdateEpochs}.");
        if (MinibatchSize <= 0) throw new ArgumentException($"PpoOptions.MinibatchSize must be positive, got {MinibatchSize}.");
        if (VfCoef < 0 || EntCoef < 0 || KlCoef < 0 || PlanningCostCoef < 0)
            throw new ArgumentException("PpoOptions: VfCoef, EntCoef, KlCoef and PlanningCostCoef must be >= 0.");
        if (!(Temperature > 0)) throw new ArgumentException($"PpoOptions.Temperature must be positive, got {Temperature}.");
        Optimizer.Validate();
        return this;
    }
}

/// <summary>
/// One PPO batch of env steps: what the policy saw and generated, and the rollout-time log-prob
/// (sum over generated tokens) and value, with advantages and returns from <see cref="Ppo.Gae"/>.
/// </summary>
public sealed record PpoBatch(
    IReadOnlyList<int[]> Prompts,
    IReadOnlyList<int[]> Outputs,
    float[] OldLogProbs,
    float[] OldValues,
    float[] Advantages,
    float[] Returns)
{
    public int Count => Prompts.Count;

    public PpoBatch Validate()
    {
        int n = Prompts.Count;
        if (n == 0) throw new ArgumentException("PpoBatch is empty.");
        if (Outputs.Count != n || OldLogProbs.Length != n || OldValues.Length != n || Advantages.Length != n || Returns.Length != n)
            throw new ArgumentException($"PpoBatch fields differ in length: prompts {n}, outputs {Outputs.Count}, logprobs {OldLogProbs.Length}, values {OldValues.Length}, advantages {Advantages.Length}, returns {Returns.Length}.");
        return this;
    }
}

/// <summary>Averages over the minibatches of one update (CleanRL's logged values).</summary>
public sealed record PpoStats(
    float PgLoss, float VLoss, float Entropy, float KlRef, float OldApproxKl, float ApproxKl,
    float ClipFrac, double ExplainedVariance, int Epochs, int Minibatches, long Step);

/// <summary>Minibatch epochs of PPO on a <see cref="PpoBatch"/>.</summary>
public sealed class PpoTrainer : IDisposable
{
    public const string CheckpointKind = "ppo";
    private readonly AdamW optimizer;
    private readonly Random rng;
    private ValueHeadFit? _valueFit;

    private readonly GradientShards? shards;

    /// <param name="reference">The frozen reference (SFT) policy for the KL penalty; required when KlCoef &gt; 0.</param>
    /// <param name="shards">Parts each minibatch is split into, each on its own thread with its own copies of the model
    /// and the reference (<see cref="GradientShards"/>): the same update up to float rounding. For the CPU.</param>
    public PpoTrainer(PolicyModel model, OutputGrammar grammar, PpoOptions? options = null, PolicyModel? reference = null, int shards = 1)
    {
        if (shards < 1) throw new ArgumentException($"shards must be at least 1, got {shards}.", nameof(shards));
        Model = model;
        Grammar = grammar;
        Options = (options ?? new PpoOptions()).Validate();
        if (Options.KlCoef > 0 && reference is null)
            throw new ArgumentException("PpoOptions.KlCoef > 0 needs a reference model.");
        Reference = reference;
        optimizer = Options.Optimizer.Create(model);
        rng = new Random(Options.Seed);
        Shards = shards;
        if (shards > 1) this.shards = new GradientShards(model, shards, Options.KlCoef > 0 ? reference : null);
    }

    /// <summary>Parts each minibatch is split into (1: the whole minibatch on the calling thread).</summary>
    public int Shards { get; }

    /// <summary>As <see cref="SftTrainer.ShardWhenFaster"/>, per minibatch.</summary>
    public bool ShardWhenFaster
    {
        get => shards?.ChooseByTime ?? false;
        set { if (shards is not null) shards.ChooseByTime = value; }
    }

    /// <summary>Minibatches of this trainer that ran sharded.</summary>
    public long ShardedSteps => shards?.ShardedSteps ?? 0;

    public PolicyModel Model { get; }
    public PolicyModel? Reference { get; }
    public OutputGrammar Grammar { get; }
    public PpoOptions Options { get; }
    /// <summary>Optimizer steps taken.</summary>
    public long Step { get; private set; }

    public PpoStats Update(PpoBatch batch)
    {
        batch.Validate();
        var o = Options;
        int n = batch.Count;
        var b_inds = Enumerable.Range(0, n).ToArray();
        double pgSum = 0, vSum = 0, entSum = 0, klRefSum = 0, oldKlSum = 0, klSum = 0, clipSum = 0;
        int minibatches = 0, epochs = 0;
        float approx_kl = 0;
        Model.train();
        for (int epoch = 0; epoch < o.UpdateEpochs; epoch++)
        {
            epochs++;
            rng.Shuffle(b_inds);
            for (int start = 0; start < n; start += o.MinibatchSize)
            {
                var mb_inds = b_inds[start..Math.Min(n, start + o.MinibatchSize)];
                using var scope = torch.NewDisposeScope();
                // Normalised over the whole minibatch here: the shards each see only their part of it.
                var advantages = torch.tensor(mb_inds.Select(i => batch.Advantages[i]).ToArray());
                if (o.NormAdv) advantages = Ppo.NormalizeAdvantages(advantages);
                var normalized = advantages.data<float>().ToArray();

                optimizer.zero_grad();
                MinibatchTerms Whole() => MinibatchBackward(Model, Reference, batch, mb_inds, normalized, share: 1.0);
                MinibatchTerms Sharded()
                {
                    var groups = GradientShards.Balance(mb_inds.Length, k => batch.Prompts[mb_inds[k]].Length + batch.Outputs[mb_inds[k]].Length, Shards);
                    var parts = new MinibatchTerms[Shards];
                    shards!.Backward((shard, model, reference) => parts[shard] = MinibatchBackward(model, reference, batch,
                        groups[shard].Select(k => mb_inds[k]).ToArray(), groups[shard].Select(k => normalized[k]).ToArray(),
                        share: (double)groups[shard].Count / mb_inds.Length));
                    return MinibatchTerms.Sum(parts);
                }
                var terms = shards is null || mb_inds.Length < Shards ? Whole() : shards.RunStep(Tokens(batch, mb_inds), Whole, Sharded);
                torch.nn.utils.clip_grad_norm_(Model.parameters(), o.Optimizer.MaxGradNorm);
                optimizer.step();
                Step++;

                approx_kl = terms.ApproxKl;
                pgSum += terms.PgLoss;
                vSum += terms.VLoss;
                entSum += terms.Entropy;
                klRefSum += terms.KlRef;
                oldKlSum += terms.OldApproxKl;
                klSum += terms.ApproxKl;
                clipSum += terms.ClipFraction;
                minibatches++;
            }
            if (o.TargetKl is double target && approx_kl > target) break;
        }
        double m = Math.Max(1, minibatches);
        return new PpoStats((float)(pgSum / m), (float)(vSum / m), (float)(entSum / m), (float)(klRefSum / m),
            (float)(oldKlSum / m), (float)(klSum / m), (float)(clipSum / m),
            Ppo.ExplainedVariance(batch.OldValues, batch.Returns), epochs, minibatches, Step);
    }

    private static long Tokens(PpoBatch batch, int[] indices)
    {
        long tokens = 0;
        foreach (int i in indices) tokens += batch.Prompts[i].Length + batch.Outputs[i].Length;
        return tokens;
    }

    /// <summary>One minibatch's (or shard's) loss terms, each already multiplied by its share of the minibatch.</summary>
    private readonly record struct MinibatchTerms(float PgLoss, float VLoss, float Entropy, float KlRef, float OldApproxKl, float ApproxKl, float ClipFraction)
    {
        public static MinibatchTerms Sum(MinibatchTerms[] parts) => new(
            parts.Sum(p => p.PgLoss), parts.Sum(p => p.VLoss), parts.Sum(p => p.Entropy), parts.Sum(p => p.KlRef),
            parts.Sum(p => p.OldApproxKl), parts.Sum(p => p.ApproxKl), parts.Sum(p => p.ClipFraction));
    }

    /// <summary>
    /// The PPO loss on the samples <paramref name="indices"/> of <paramref name="batch"/>, times <paramref name="share"/>,
    /// and its backward pass. Every term is a mean over samples, so the shares of a minibatch's parts (their sizes over
    /// the minibatch's) add up to the whole minibatch's loss and gradients.
    /// </summary>
    private MinibatchTerms MinibatchBackward(PolicyModel model, PolicyModel? reference, PpoBatch batch, int[] indices,
        float[] normalizedAdvantages, double share)
    {
        var o = Options;
        using var scope = torch.NewDisposeScope();
        var device = model.Device;
        var prompts = indices.Select(i => batch.Prompts[i]).ToArray();
        var outputs = indices.Select(i => batch.Outputs[i]).ToArray();
        var b_logprobs = torch.tensor(indices.Select(i => batch.OldLogProbs[i]).ToArray(), device: device);
        var b_values = torch.tensor(indices.Select(i => batch.OldValues[i]).ToArray(), device: device);
        var b_returns = torch.tensor(indices.Select(i => batch.Returns[i]).ToArray(), device: device);
        var mb_advantages = torch.tensor(normalizedAdvantages, device: device);

        var scores = PolicyScorer.Score(model, Grammar, prompts, outputs, o.Temperature);
        var surrogate = Ppo.ClippedSurrogate(scores.SumLogProbs, b_logprobs, mb_advantages, o.ClipCoef);
        var pg_loss = surrogate.Loss;
        var v_loss = Ppo.ValueLoss(scores.Values, b_values, b_returns, o.ClipVloss ? o.ClipCoef : null);
        var entropy_loss = Ppo.EntropyBonus(scores.SumEntropy);
        // Coefficients as scalars held through every call (HeldScalars): this runs on shard threads.
        using Scalar minusEntCoef = -o.EntCoef, vfCoef = o.VfCoef, klCoef = o.KlCoef, shareOfMinibatch = share;
        var loss = pg_loss.add(entropy_loss, minusEntCoef).add(v_loss, vfCoef);
        float klRef = 0;
        if (reference is not null && o.KlCoef > 0)
        {
            SequenceScores refScores;
            using (torch.no_grad())
            {
                reference.eval();
                refScores = PolicyScorer.Score(reference, Grammar, prompts, outputs, o.Temperature);
            }
            var kl_ref = Ppo.KlToReference(scores.TokenLogProbs, refScores.TokenLogProbs, scores.OutputMask);
            loss = loss.add(kl_ref, klCoef);
            klRef = kl_ref.item<float>();
        }
        (share == 1.0 ? loss : loss.mul(shareOfMinibatch)).backward();
        float s = (float)share;
        return new MinibatchTerms(pg_loss.item<float>() * s, v_loss.item<float>() * s, entropy_loss.item<float>() * s, klRef * s,
            surrogate.OldApproxKl * s, surrogate.ApproxKl * s, surrogate.ClipFraction * s);
    }

    /// <summary>
    /// Value warm-up: adds the batch to a least-squares fit of the value head on the trunk's features and sets the head
    /// to the fit over every batch added so far; the rest of the model (the policy) is unchanged. Returns the value
    /// loss of the fitted head on this batch and the explained variance of the rollout-time values.
    /// </summary>
    public PpoStats WarmUpValue(PpoBatch batch)
    {
        batch.Validate();
        _valueFit ??= new ValueHeadFit(Model.Config.DModel);
        Model.eval();
        int n = batch.Count;
        var predictions = new float[n];
        var chunks = new List<(int Start, Tensor Features)>();
        try
        {
            for (int start = 0; start < n; start += Options.MinibatchSize)
            {
                int count = Math.Min(Options.MinibatchSize, n - start);
                var features = PolicyScorer.PromptFeatures(Model, Grammar.Tokens.Pad,
                    batch.Prompts.Skip(start).Take(count).ToArray(), batch.Outputs.Skip(start).Take(count).ToArray());
                chunks.Add((start, features));
                _valueFit.Add(features, batch.Returns.AsSpan(start, count));
            }
            var (weight, bias) = _valueFit.Solve();
            Model.SetValueHead(weight, bias);
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            foreach (var (start, features) in chunks)
                Model.Value(features).to(CPU).data<float>().CopyTo(predictions.AsSpan(start));
        }
        finally
        {
            foreach (var (_, features) in chunks) features.Dispose();
        }
        double squared = 0;
        for (int i = 0; i < n; i++) squared += Math.Pow(predictions[i] - batch.Returns[i], 2);
        return new PpoStats(0, (float)(0.5 * squared / n), 0, 0, 0, 0, 0, Ppo.ExplainedVariance(batch.OldValues, batch.Returns), 0, 0, Step);
    }

    /// <summary>Writes weights, shape, step and AdamW state atomically.</summary>
    public void SaveCheckpoint(string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        PolicyCheckpoint.Save(path, Model, Step, CheckpointKind, optimizer, metadata);

    /// <summary>Restores weights; AdamW state and the step counter too when the checkpoint was written by a PPO trainer.</summary>
    public PolicyCheckpointInfo LoadCheckpoint(string path)
    {
        (var info, Step) = PolicyCheckpoint.LoadForTrainer(path, Model, optimizer, CheckpointKind);
        return info;
    }

    public void Dispose()
    {
        shards?.Dispose();
        optimizer.Dispose();
        _valueFit?.Dispose();
    }
}
