using Rollouts.Agent.Dataset;
using Rollouts.Agent.Teaching;
using Rollouts.Config;
using Rollouts.Learner;
using Rollouts.Policy;
using TorchSharp;

namespace Rollouts.Grains.Policy;

/// <summary>
/// The learner's algorithm on the TorchSharp policy: SFT on teacher episodes (played here, schedules mixed per episode
/// as in the paper), then PPO on trajectory chunks: per env of a chunk, the planning cost is subtracted from the
/// rewards and GAE runs with the chunk's bootstrap value; advantages of down-weighted (lagging) chunks are scaled by
/// their weight. Chunks the scripted teacher acted in (<c>rollout.policy: teacher</c>) are used for SFT instead.
/// </summary>
public sealed class TorchLearnerAlgorithm : ILearnerAlgorithm
{
    private readonly RolloutsConfig _config;
    private readonly PolicyModel _model;
    private readonly PolicyModel? _reference;
    private readonly SftTrainer _sft;
    private readonly PpoTrainer _ppo;
    private readonly PpoOptions _options;
    private long _step;
    private List<(int[] Prompt, int[] Output)> _sftData = [];
    // sft.average_decay > 0: SFT hands on the average of its recent weights; between SFT calls the model holds that
    // average and _average the weights training goes on from.
    private ParameterAverage? _average;
    private bool _averageInModel;
    private int _valueWarmupLeft;
    // ppo.average_decay > 0: the average of the policy-update weights, handed on only by ExportFinalWeights.
    private ParameterAverage? _ppoAverage;

    /// <param name="updateShards">SFT batches and PPO minibatches split over this many model copies, one thread each
    /// (<see cref="GradientShards"/>; on the CPU only, else 1).</param>
    public TorchLearnerAlgorithm(RolloutsConfig config, int updateShards = 1)
    {
        _config = config;
        _model = PolicySetup.NewModel(config);
        if (_model.Device.type != DeviceType.CPU) updateShards = 1;
        _sft = new SftTrainer(_model, PolicySetup.Tokens.Pad, new OptimizerOptions(LearningRate: config.Sft.LearningRate),
            config.Sft.ActionLossWeight == 1.0 ? null : new TargetEmphasis(PolicySetup.Tokens.ActionIds, config.Sft.ActionLossWeight),
            shards: Math.Clamp(updateShards, 1, Math.Max(1, config.Sft.BatchSize))) { ShardWhenFaster = true };
        _options = new PpoOptions
        {
            Gamma = config.Ppo.Gamma,
            GaeLambda = config.Ppo.GaeLambda,
            ClipCoef = config.Ppo.ClipCoef,
            VfCoef = config.Ppo.ValueCoef,
            EntCoef = config.Ppo.EntropyCoef,
            KlCoef = config.Ppo.KlCoef,
            PlanningCostCoef = config.Ppo.PlanTokenCost,
            UpdateEpochs = config.Ppo.Epochs,
            MinibatchSize = config.Ppo.MinibatchSize,
            Temperature = config.Model.Temperature,
            Optimizer = new OptimizerOptions(LearningRate: config.Ppo.LearningRate, WeightDecay: 0, MaxGradNorm: config.Ppo.MaxGradNorm),
            Seed = (int)(config.Experiment.Seed & 0x7fffffff),
        };
        if (config.Ppo.KlCoef > 0) _reference = PolicySetup.NewModel(config);
        _ppo = new PpoTrainer(_model, PolicySetup.Grammar(config), _options, _reference,
            shards: Math.Clamp(updateShards, 1, Math.Max(1, config.Ppo.MinibatchSize))) { ShardWhenFaster = true };
        if (config.Sft.AverageDecay > 0) _average = new ParameterAverage(_model, config.Sft.AverageDecay);
        _valueWarmupLeft = config.Ppo.ValueWarmup;
        ZeroValueHeadBeforeWarmup();
    }

    // SFT never trains the value head (its loss is on output tokens): with a warm-up it starts at zero, so that the
    // first returns it is fitted on are discounted rewards rather than bootstraps from random values.
    private void ZeroValueHeadBeforeWarmup()
    {
        if (_valueWarmupLeft > 0) _model.SetValueHead(new float[_config.Model.DModel], 0f);
    }

    public string Name => $"torch d{_config.Model.DModel}x{_config.Model.Layers}";

    /// <summary>Parts each SFT batch and PPO minibatch is split into (1 on a GPU or when asked for 1).</summary>
    public int UpdateShards => _sft.Shards;

    /// <summary>SFT steps and PPO minibatches that ran sharded: each trainer times both ways and runs the faster (<see cref="SftTrainer.ShardWhenFaster"/>).</summary>
    public (long Sft, long Ppo) ShardedSteps => (_sft.ShardedSteps, _ppo.ShardedSteps);

    public UpdateOutcome RunSft(Action<UpdateOutcome>? progress, CancellationToken cancellationToken)
    {
        var sft = _config.Sft;
        if (sft.Episodes == 0 || sft.Steps == 0) return new UpdateOutcome(double.NaN, "sft", 0);
        // Teacher episodes with seeds apart from the rollout envs' (EnvSpec.EnvSeed uses multiples of 1e6 per experiment seed).
        var records = new List<SftRecord>();
        var episodes = new IReadOnlyList<SftRecord>[sft.Episodes];
        long baseSeed = _config.Experiment.Seed * 1_000_000L + 999_000;
        var (vision, schedule) = PolicySetup.SftTeacher(_config);
        Parallel.For(0, sft.Episodes, new ParallelOptions { CancellationToken = cancellationToken }, i =>
            episodes[i] = SftDatasetGenerator.PlayEpisode(baseSeed + i, i, sft.EpisodeSteps, schedule ?? PlanningSchedule.ForEpisode(baseSeed + i), vision, sft.ActionNoise));
        foreach (var e in episodes) records.AddRange(e);
        var fitting = records.Where(r => r.Prompt.Length + r.Output.Length <= _config.Model.Context).ToList();
        if (fitting.Count == 0) throw new InvalidOperationException($"No teacher step fits model.context {_config.Model.Context}.");

        _sftData = fitting.Select(r => (r.Prompt, r.Output)).ToList();
        var random = new Random((int)(_config.Experiment.Seed & 0x7fffffff));
        var (ema, samples) = SftLoop(_sftData, sft.Steps, sft.TargetLoss, random, progress, cancellationToken);
        if (_reference is not null) _reference.CopyWeightsFrom(_model);
        return new UpdateOutcome(ema, "sft", samples, new Dictionary<string, double> { ["sft_records"] = fitting.Count });
    }

    /// <summary>
    /// Starts from an SFT student saved earlier (<c>rollouts train --sft-checkpoint</c>) instead of running SFT: loads
    /// its weights (the model's shape must match the config's; <see cref="CheckpointException"/> otherwise, the model
    /// unchanged) into the model and the KL reference.
    /// </summary>
    public PolicyCheckpointInfo LoadSftCheckpoint(string path)
    {
        var kind = PolicyCheckpoint.ReadInfo(path).Kind;
        if (kind != "sft")
            throw new CheckpointException(path, $"it holds a '{kind}' checkpoint; an SFT student (a run's sft.ckpt) is needed.");
        EndAveraging();
        var info = PolicyCheckpoint.LoadInto(path, _model);
        ZeroValueHeadBeforeWarmup();
        _reference?.CopyWeightsFrom(_model);
        return info;
    }

    /// <summary>The teacher steps <see cref="RunSft"/> trained on (prompt, output), empty before it ran.</summary>
    public IReadOnlyList<(int[] Prompt, int[] Output)> SftData => _sftData;

    /// <summary>Makes <paramref name="data"/> (e.g. the warm-up data plus DAgger records) what <see cref="SftData"/> returns.</summary>
    public void ReplaceSftData(IEnumerable<(int[] Prompt, int[] Output)> data) =>
        _sftData = data.Where(r => r.Prompt.Length + r.Output.Length <= _config.Model.Context).ToList();

    /// <summary>
    /// More SFT (<c>rollouts train</c>'s <c>sft.extra_steps</c>): <paramref name="steps"/> gradient steps on batches drawn uniformly from <paramref name="data"/>
    /// (examples longer than the context are left out), no early stop at a target loss; <paramref name="stop"/>, asked
    /// before each step, ends it sooner (a time budget); <paramref name="learningRateScale"/> (step index → multiple of
    /// <c>sft.learning_rate</c>) is a schedule for these steps, after which the rate is back at 1×.
    /// </summary>
    public UpdateOutcome ContinueSft(IReadOnlyList<(int[] Prompt, int[] Output)> data, int steps, int seed,
        Action<UpdateOutcome>? progress = null, CancellationToken cancellationToken = default, Func<bool>? stop = null,
        Func<int, double>? learningRateScale = null)
    {
        var fitting = data.Where(r => r.Prompt.Length + r.Output.Length <= _config.Model.Context).ToList();
        if (fitting.Count == 0 || steps <= 0) return new UpdateOutcome(double.NaN, "sft", 0);
        var (ema, samples) = SftLoop(fitting, steps, double.NegativeInfinity, new Random(seed), progress, cancellationToken, stop, learningRateScale);
        if (_reference is not null) _reference.CopyWeightsFrom(_model);
        return new UpdateOutcome(ema, "sft", samples, new Dictionary<string, double> { ["sft_records"] = fitting.Count });
    }

    private (double Ema, long Samples) SftLoop(IReadOnlyList<(int[] Prompt, int[] Output)> fitting, int steps, double targetLoss,
        Random random, Action<UpdateOutcome>? progress, CancellationToken cancellationToken, Func<bool>? stop = null,
        Func<int, double>? learningRateScale = null)
    {
        var sft = _config.Sft;
        double ema = double.NaN;
        long samples = 0;
        var cumulative = SamplingWeights(fitting, sft.ActionBalance);
        if (_averageInModel)
        {
            _average!.Swap(); // back to the trained weights (the optimizer's state belongs to them)
            _averageInModel = false;
        }
        _model.train();
        for (int step = 0; step < steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (stop?.Invoke() == true) break;
            var prompts = new List<int[]>(sft.BatchSize);
            var outputs = new List<int[]>(sft.BatchSize);
            for (int b = 0; b < sft.BatchSize; b++)
            {
                var r = fitting[cumulative is null ? random.Next(fitting.Count) : Draw(cumulative, random)];
                prompts.Add(r.Prompt);
                outputs.Add(r.Output);
            }
            if (learningRateScale is not null) _sft.LearningRateScale = learningRateScale(step);
            var stats = _sft.TrainStep(prompts, outputs);
            _average?.Update();
            samples += prompts.Count;
            ema = double.IsNaN(ema) ? stats.Loss : 0.9 * ema + 0.1 * stats.Loss;
            if (step % 10 == 0) progress?.Invoke(new UpdateOutcome(ema, "sft", samples));
            if (ema <= targetLoss && step >= 20) break;
        }
        if (learningRateScale is not null) _sft.LearningRateScale = 1.0;
        if (_average is not null && _average.Updates > 0)
        {
            _average.Swap();
            _averageInModel = true;
        }
        return (ema, samples);
    }

    /// <summary>
    /// Cumulative sampling weights that draw a record with probability ∝ (count of its action)^-balance, so that the rare
    /// actions that unlock the tech tree (place table, make pickaxe: under 1 % of teacher steps) are seen more often;
    /// null for balance 0 (uniform).
    /// </summary>
    public static double[]? SamplingWeights(IReadOnlyList<(int[] Prompt, int[] Output)> data, double balance)
    {
        if (balance <= 0 || data.Count == 0) return null;
        // Outputs end with "<act> ACTION" (AgentDecision's format): the last token names the action.
        var counts = new Dictionary<int, int>();
        foreach (var r in data) counts[r.Output[^1]] = counts.GetValueOrDefault(r.Output[^1]) + 1;
        var cumulative = new double[data.Count];
        double total = 0;
        for (int i = 0; i < data.Count; i++)
        {
            total += Math.Pow(counts[data[i].Output[^1]], -balance);
            cumulative[i] = total;
        }
        return cumulative;
    }

    private static int Draw(double[] cumulative, Random random)
    {
        int i = Array.BinarySearch(cumulative, random.NextDouble() * cumulative[^1]);
        return Math.Min(i < 0 ? ~i : i, cumulative.Length - 1);
    }

    public UpdateOutcome Update(IReadOnlyList<WeightedChunk> batch, CancellationToken cancellationToken)
    {
        EndAveraging();
        var teacherChunks = batch.Where(c => c.Chunk.FromTeacher).ToList();
        if (teacherChunks.Count > 0) return BehaviourCloning(teacherChunks);

        var prompts = new List<int[]>();
        var outputs = new List<int[]>();
        var logProbs = new List<float>();
        var values = new List<float>();
        var advantages = new List<float>();
        var returns = new List<float>();
        foreach (var (chunk, weight, _) in batch)
        {
            int k = chunk.Envs, steps = chunk.Steps;
            var rewards = new float[steps];
            var plan = new int[steps];
            var vals = new float[steps];
            var dones = new bool[steps];
            for (int env = 0; env < k; env++)
            {
                for (int t = 0; t < steps; t++)
                {
                    int j = t * k + env;
                    rewards[t] = chunk.Rewards[j];
                    plan[t] = chunk.PlanTokens[j];
                    vals[t] = chunk.Values[j];
                    dones[t] = chunk.Dones[j];
                }
                var (adv, ret, _) = Ppo.Advantages(rewards, plan, vals, dones, chunk.BootstrapValues[env], _options);
                for (int t = 0; t < steps; t++)
                {
                    int j = t * k + env;
                    if (chunk.PromptTokens[j].Length + chunk.OutputTokens[j].Length > _config.Model.Context) continue;
                    prompts.Add(chunk.PromptTokens[j]);
                    outputs.Add(chunk.OutputTokens[j]);
                    logProbs.Add(chunk.LogProbs[j]);
                    values.Add(chunk.Values[j]);
                    advantages.Add(adv[t] * weight);
                    returns.Add(ret[t]);
                }
            }
        }
        if (prompts.Count == 0) return new UpdateOutcome(double.NaN, "ppo", 0);
        var ppoBatch = new PpoBatch(prompts, outputs, logProbs.ToArray(), values.ToArray(), advantages.ToArray(), returns.ToArray());
        _step++;
        if (_valueWarmupLeft > 0)
        {
            _valueWarmupLeft--;
            var fit = _ppo.WarmUpValue(ppoBatch);
            return new UpdateOutcome(_options.VfCoef * fit.VLoss, "ppo", prompts.Count, new Dictionary<string, double>
            {
                ["v_loss"] = fit.VLoss, ["explained_variance"] = fit.ExplainedVariance, ["value_warmup"] = 1,
            });
        }
        _model.train();
        if (_config.Ppo.AverageDecay > 0) _ppoAverage ??= new ParameterAverage(_model, _config.Ppo.AverageDecay);
        var stats = _ppo.Update(ppoBatch);
        _ppoAverage?.Update();
        double loss = stats.PgLoss + _options.VfCoef * stats.VLoss - _options.EntCoef * stats.Entropy + _options.KlCoef * stats.KlRef;
        return new UpdateOutcome(loss, "ppo", prompts.Count, new Dictionary<string, double>
        {
            ["pg_loss"] = stats.PgLoss, ["v_loss"] = stats.VLoss, ["entropy"] = stats.Entropy,
            ["approx_kl"] = stats.ApproxKl, ["clip_frac"] = stats.ClipFrac, ["explained_variance"] = stats.ExplainedVariance,
        });
    }

    private UpdateOutcome BehaviourCloning(List<WeightedChunk> chunks)
    {
        var prompts = new List<int[]>();
        var outputs = new List<int[]>();
        foreach (var c in chunks)
            for (int j = 0; j < c.Chunk.PromptTokens.Length; j++)
                if (c.Chunk.PromptTokens[j].Length + c.Chunk.OutputTokens[j].Length <= _config.Model.Context)
                {
                    prompts.Add(c.Chunk.PromptTokens[j]);
                    outputs.Add(c.Chunk.OutputTokens[j]);
                }
        if (prompts.Count == 0) return new UpdateOutcome(double.NaN, "sft", 0);
        _model.train();
        double loss = 0;
        int batches = 0;
        for (int start = 0; start < prompts.Count; start += _config.Sft.BatchSize)
        {
            int n = Math.Min(_config.Sft.BatchSize, prompts.Count - start);
            loss += _sft.TrainStep(prompts.GetRange(start, n), outputs.GetRange(start, n)).Loss;
            batches++;
        }
        _step++;
        return new UpdateOutcome(loss / batches, "sft", prompts.Count);
    }

    /// <summary>PPO (and behaviour cloning on teacher chunks) go on from the averaged SFT student; the average is done.</summary>
    private void EndAveraging()
    {
        _average?.Dispose();
        _average = null;
        _averageInModel = false;
    }

    public byte[] ExportWeights() => PolicySetup.Export(_model, _step, _step == 0 ? "sft" : "ppo");

    /// <summary>
    /// The policy PPO hands on when it is done: with <c>ppo.average_decay</c> the moving average of its weights over the
    /// policy updates (a PPO step at a constant learning rate is one noisy point, as an SFT step is), else the current
    /// weights. Training can go on afterwards from the current weights.
    /// </summary>
    public byte[] ExportFinalWeights()
    {
        if (_ppoAverage is not { Updates: > 0 }) return ExportWeights();
        _ppoAverage.Swap();
        try { return ExportWeights(); }
        finally { _ppoAverage.Swap(); }
    }

    public void Dispose()
    {
        _ppo.Dispose();
        _sft.Dispose();
        _reference?.Dispose();
        _average?.Dispose();
        _ppoAverage?.Dispose();
        _model.Dispose();
    }
}

public sealed class TorchLearnerFactory : ILearnerAlgorithmFactory
{
    public ILearnerAlgorithm Create(RolloutsConfig config) => new TorchLearnerAlgorithm(config);
}
