using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Rollouts.Config;
using Rollouts.Grains;

namespace Rollouts.Learner;

/// <summary>
/// The learner's loop, on its own thread: the SFT warm-up (then weights version 1 are published and PPO begins), then
/// PPO updates on the chunks the intake hands over. Chunks more than <c>learner.max_policy_lag</c> versions behind are
/// dropped or down-weighted (1 / (1 + excess lag)). Every <c>learner.checkpoint_every</c> updates the weights are saved
/// to checkpoint storage and the new version is announced through the experiment grain; inference grains pull the blob.
/// </summary>
public sealed class LearnerWorker(
    string experimentId,
    RolloutsConfig config,
    ILearnerAlgorithmFactory algorithms,
    IWeightStore weights,
    IGrainFactory grains,
    ChannelReader<TrajectoryChunk> chunks,
    LearnerCounters counters,
    int startVersion,
    ExperimentPhase startPhase,
    ILogger<LearnerWorker> logger)
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _task;
    private int _version = startVersion;

    public int Version => Volatile.Read(ref _version);

    public void Start() =>
        _task = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    public async Task StopAsync()
    {
        _stop.Cancel();
        if (_task is not null)
        {
            try { await _task; }
            catch (OperationCanceledException) { }
        }
    }

    private IExperimentGrain Experiment => grains.GetGrain<IExperimentGrain>(experimentId);

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        ILearnerAlgorithm? algorithm = null;
        try
        {
            algorithm = algorithms.Create(config);
            logger.LogInformation("Learner for {Experiment}: algorithm {Algorithm}, from version {Version}", experimentId, algorithm.Name, _version);
            if (startPhase is ExperimentPhase.Created or ExperimentPhase.Sft || _version == 0)
            {
                var sft = algorithm.RunSft(p => Record(p), ct);
                Record(sft);
                await Publish(algorithm, ct);
                await Experiment.BeginPpo();
            }
            await PpoLoop(algorithm, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception e)
        {
            logger.LogError(e, "Learner for {Experiment} failed", experimentId);
            try { await Experiment.Fail($"learner: {e.Message}"); }
            catch (Exception inner) { logger.LogError(inner, "Could not report the learner failure"); }
        }
        finally
        {
            algorithm?.Dispose();
        }
    }

    private async Task PpoLoop(ILearnerAlgorithm algorithm, CancellationToken ct)
    {
        var batch = new List<WeightedChunk>();
        long steps = 0;
        int updatesSincePublish = 0;
        bool drop = config.Learner.LagMode == "drop";
        while (await chunks.WaitToReadAsync(ct))
        {
            while (chunks.TryRead(out var chunk))
            {
                int lag = Math.Max(0, _version - chunk.PolicyVersion);
                Interlocked.Add(ref counters.LagSum, lag);
                Interlocked.Increment(ref counters.LagCount);
                if (lag > config.Learner.MaxPolicyLag && drop)
                {
                    Interlocked.Increment(ref counters.Dropped);
                    Interlocked.Increment(ref counters.Processed);
                    continue;
                }
                float weight = lag > config.Learner.MaxPolicyLag ? 1f / (1 + lag - config.Learner.MaxPolicyLag) : 1f;
                batch.Add(new WeightedChunk(chunk, weight, lag));
                steps += (long)chunk.Envs * chunk.Steps;
                if (steps >= config.Ppo.StepsPerUpdate)
                {
                    var started = Stopwatch.GetTimestamp();
                    var outcome = algorithm.Update(batch, ct);
                    counters.SamplesPerSecond = outcome.Samples / Math.Max(1e-9, Stopwatch.GetElapsedTime(started).TotalSeconds);
                    Interlocked.Increment(ref counters.Updates);
                    Record(outcome);
                    batch.Clear();
                    steps = 0;
                    if (++updatesSincePublish >= config.Learner.CheckpointEvery)
                    {
                        updatesSincePublish = 0;
                        await Publish(algorithm, ct);
                    }
                }
                Interlocked.Increment(ref counters.Processed);
            }
        }
    }

    private void Record(UpdateOutcome outcome)
    {
        counters.Loss = outcome.Loss;
        counters.LossKind = outcome.LossKind;
        Interlocked.Add(ref counters.Samples, outcome.Samples);
    }

    private async Task Publish(ILearnerAlgorithm algorithm, CancellationToken ct)
    {
        int version = _version + 1;
        byte[] blob = algorithm.ExportWeights();
        string location = await weights.SaveAsync(experimentId, version, blob, ct);
        Volatile.Write(ref _version, version);
        await Experiment.PublishPolicy(new PolicyRef(version, location));
        logger.LogInformation("Learner for {Experiment} published policy version {Version} ({Bytes} bytes)", experimentId, version, blob.Length);
    }
}
