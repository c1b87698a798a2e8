using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.Streams.Core;
using Rollouts.Config;
using Rollouts.Grains;

namespace Rollouts.Learner;

/// <summary>
/// The learner's intake for one experiment, on a learner silo: implicitly subscribed to the experiment's trajectory
/// stream, it takes each chunk exactly once (a chunk id seen before is counted as a duplicate and skipped) and hands
/// it to the <see cref="LearnerWorker"/>, which trains on its own thread (SFT warm-up, then PPO) and publishes weights.
/// </summary>
[Reentrant]
[LearnerPlacement]
[ImplicitStreamSubscription(RolloutsNames.TrajectoryNamespace)]
public sealed class LearnerGrain(
    ILearnerAlgorithmFactory algorithms,
    IWeightStore weights,
    ILoggerFactory loggers) : Grain, ILearnerGrain, IStreamSubscriptionObserver, IAsyncObserver<TrajectoryChunk>
{
    private readonly HashSet<ChunkId> _seen = new();
    private readonly LearnerCounters _counters = new();
    private Channel<TrajectoryChunk>? _channel;
    private LearnerWorker? _worker;
    private IGrainTimer? _timer;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _channel = Channel.CreateBounded<TrajectoryChunk>(new BoundedChannelOptions(256) { SingleReader = true });
        _timer = this.RegisterGrainTimer(Report, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromSeconds(1),
            Period = TimeSpan.FromSeconds(1),
            Interleave = true,
            KeepAlive = true,
        });
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        _channel?.Writer.TryComplete();
        if (_worker is not null) await _worker.StopAsync();
    }

    public async Task Start()
    {
        if (_worker is not null) return;
        string id = this.GetPrimaryKeyString();
        var experiment = GrainFactory.GetGrain<IExperimentGrain>(id);
        string yaml = await experiment.GetConfigYaml() ?? throw new InvalidOperationException($"Experiment '{id}' has no config: submit it first.");
        var config = ConfigLoader.Parse(yaml, $"experiment '{id}'");
        var status = await experiment.GetStatus();
        _worker = new LearnerWorker(id, config, algorithms, weights, GrainFactory, _channel!.Reader, _counters,
            status.PolicyVersion, status.Phase, loggers.CreateLogger<LearnerWorker>());
        _worker.Start();
    }

    public Task<LearnerProgress> GetProgress() => Task.FromResult(_counters.Snapshot());

    public async Task<LearnerProgress> Drain(long chunksPublished, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline
               && (Interlocked.Read(ref _counters.Ingested) < chunksPublished || Interlocked.Read(ref _counters.Processed) < Interlocked.Read(ref _counters.Ingested)))
            await Task.Delay(20);
        var progress = _counters.Snapshot();
        await GrainFactory.GetGrain<IExperimentGrain>(this.GetPrimaryKeyString()).ReportLearner(progress);
        return progress;
    }

    // Stream intake.

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        var handle = handleFactory.Create<TrajectoryChunk>();
        await handle.ResumeAsync(this);
    }

    public async Task OnNextAsync(TrajectoryChunk item, StreamSequenceToken? token = null)
    {
        if (!_seen.Add(item.Id))
        {
            Interlocked.Increment(ref _counters.Duplicates);
            return;
        }
        Interlocked.Increment(ref _counters.Ingested);
        RolloutsMetrics.ChunksIngested.Add(1);
        await _channel!.Writer.WriteAsync(item);
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    private Task Report(CancellationToken cancellationToken) =>
        GrainFactory.GetGrain<IExperimentGrain>(this.GetPrimaryKeyString()).ReportLearner(_counters.Snapshot());
}

/// <summary>Counters shared by the intake (grain) and the worker thread.</summary>
public sealed class LearnerCounters
{
    public long Ingested, Duplicates, Dropped, Processed, Updates, LagSum, LagCount, Samples;
    public double Loss = double.NaN;
    public string LossKind = "";
    public double SamplesPerSecond;

    public LearnerProgress Snapshot() => new(
        Interlocked.Read(ref Ingested), Interlocked.Read(ref Duplicates), Interlocked.Read(ref Dropped),
        Interlocked.Read(ref Updates), double.IsNaN(Loss) ? null : Loss, LossKind, SamplesPerSecond,
        Interlocked.Read(ref LagCount) == 0 ? 0 : (double)Interlocked.Read(ref LagSum) / Interlocked.Read(ref LagCount));
}
