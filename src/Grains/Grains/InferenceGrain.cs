using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using Rollouts.Config;

namespace Rollouts.Grains;

/// <summary>
/// Holds the policy of one experiment on an inference silo and answers decision requests. Requests from many actors
/// are coalesced: a batch starts when <c>inference.max_batch</c> prompts are waiting, when the oldest request has waited
/// <c>inference.max_wait_ms</c>, or as soon as the previous batch ends (whatever arrived while it ran). The policy runs
/// off the grain's scheduler, one batch at a time; the grain stays responsive meanwhile (it is reentrant). New weights
/// are pulled from checkpoint storage when the experiment announces a newer version (and by polling as a fallback),
/// and swapped in between batches.
/// </summary>
[Reentrant]
[InferencePlacement]
public sealed class InferenceGrain(IDecisionPolicyFactory policyFactory, IWeightStore weightStore, ILocalSiloDetails silo, ILogger<InferenceGrain> logger)
    : Grain, IInferenceGrain
{
    private sealed record Pending(DecisionRequest Request, TaskCompletionSource<DecisionResponse> Completion, long EnqueuedTicks);

    private readonly List<Pending> _queue = new();
    private int _queuedPrompts;
    private IDecisionPolicy? _policy;
    private int _maxBatch = 64;
    private TimeSpan _maxWait = TimeSpan.FromMilliseconds(5);
    private bool _running;
    private bool _flushArmed;
    private int _version;
    private PolicyRef? _pendingWeights;
    private bool _loadingWeights;
    private IGrainTimer? _poll;
    private long _batches, _prompts, _requests, _weightLoads;
    private double _latencyMsSum;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        string experimentId = RolloutsNames.ExperimentOf(this.GetPrimaryKeyString());
        var experiment = GrainFactory.GetGrain<IExperimentGrain>(experimentId);
        string? yaml = await experiment.GetConfigYaml();
        var config = yaml is null ? new RolloutsConfig() : ConfigLoader.Parse(yaml, $"experiment '{experimentId}'");
        _maxBatch = config.Inference.MaxBatch;
        _maxWait = TimeSpan.FromMilliseconds(config.Inference.MaxWaitMs);
        _policy = await Task.Run(() => policyFactory.Create(config), cancellationToken);
        _version = _policy.Version;
        await experiment.RegisterInference(this.GetPrimaryKeyString());
        var published = await experiment.GetPolicy();
        if (published.Version > _version) await LoadWeights(published);
        _poll = this.RegisterGrainTimer(PollVersion, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromMilliseconds(config.Inference.WeightPollMs),
            Period = TimeSpan.FromMilliseconds(config.Inference.WeightPollMs),
            Interleave = true,
        });
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _poll?.Dispose();
        foreach (var p in _queue) p.Completion.TrySetException(new OperationCanceledException("The inference grain is deactivating."));
        _queue.Clear();
        if (!_running) _policy?.Dispose();
        return Task.CompletedTask;
    }

    public Task<DecisionResponse> Decide(DecisionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Prompts.Length == 0) return Task.FromResult(new DecisionResponse([], _version, 0));
        var pending = new Pending(request, new TaskCompletionSource<DecisionResponse>(TaskCreationOptions.RunContinuationsAsynchronously), Stopwatch.GetTimestamp());
        _queue.Add(pending);
        _queuedPrompts += request.Prompts.Length;
        _requests++;
        Schedule();
        return pending.Completion.Task;
    }

    public Task NotifyPolicy(PolicyRef policy)
    {
        if (policy.Version > _version && (_pendingWeights is null || policy.Version > _pendingWeights.Version))
            return LoadWeights(policy);
        return Task.CompletedTask;
    }

    public Task<InferenceStats> GetStats() => Task.FromResult(new InferenceStats(
        this.GetPrimaryKeyString(), silo.SiloAddress.ToString(), _batches, _prompts, _requests,
        _batches == 0 ? 0 : (double)_prompts / _batches,
        _requests == 0 ? 0 : _latencyMsSum / _requests,
        _batches == 0 ? 0 : (double)_requests / _batches,
        _version, (int)_weightLoads));

    /// <summary>Starts a batch now if one is due, else arms the max-wait flush.</summary>
    private void Schedule()
    {
        if (_running || _queue.Count == 0) return;
        if (_queuedPrompts >= _maxBatch || _maxWait <= TimeSpan.Zero)
        {
            RunBatch().Ignore();
            return;
        }
        var waited = Stopwatch.GetElapsedTime(_queue[0].EnqueuedTicks);
        if (waited >= _maxWait)
        {
            RunBatch().Ignore();
            return;
        }
        if (_flushArmed) return;
        _flushArmed = true;
        FlushAfter(_maxWait - waited).Ignore();
    }

    private async Task FlushAfter(TimeSpan delay)
    {
        await Task.Delay(delay);
        _flushArmed = false;
        Schedule();
    }

    private async Task RunBatch()
    {
        _running = true;
        var batch = new List<Pending>();
        int count = 0;
        while (_queue.Count > 0 && (batch.Count == 0 || count + _queue[0].Request.Prompts.Length <= _maxBatch))
        {
            var p = _queue[0];
            _queue.RemoveAt(0);
            batch.Add(p);
            count += p.Request.Prompts.Length;
        }
        _queuedPrompts -= count;
        var prompts = new List<int[]>(count);
        foreach (var p in batch) prompts.AddRange(p.Request.Prompts);
        var policy = _policy!;
        try
        {
            var outputs = await Task.Run(() => policy.DecideBatch(prompts));
            if (outputs.Length != prompts.Count)
                throw new InvalidOperationException($"The policy returned {outputs.Length} outputs for {prompts.Count} prompts.");
            int version = _version;
            _batches++;
            _prompts += count;
            RolloutsMetrics.InferenceBatchSize.Record(count);
            int offset = 0;
            foreach (var p in batch)
            {
                int n = p.Request.Prompts.Length;
                double latency = Stopwatch.GetElapsedTime(p.EnqueuedTicks).TotalMilliseconds;
                _latencyMsSum += latency;
                RolloutsMetrics.InferenceLatency.Record(latency);
                p.Completion.TrySetResult(new DecisionResponse(outputs[offset..(offset + n)], version, count));
                offset += n;
            }
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Inference batch of {Count} prompts failed", count);
            foreach (var p in batch) p.Completion.TrySetException(e);
        }
        finally
        {
            _running = false;
        }
        if (_pendingWeights is not null && !_loadingWeights) await LoadWeights(_pendingWeights);
        Schedule();
    }

    private async Task PollVersion(CancellationToken cancellationToken)
    {
        var experiment = GrainFactory.GetGrain<IExperimentGrain>(RolloutsNames.ExperimentOf(this.GetPrimaryKeyString()));
        var published = await experiment.GetPolicy();
        if (published.Version > _version) await NotifyPolicy(published);
    }

    /// <summary>Pulls a published version's weights and swaps them in when no batch is running.</summary>
    private async Task LoadWeights(PolicyRef policy)
    {
        if (policy.Location is null) return;
        _pendingWeights = policy;
        if (_loadingWeights || _running) return; // picked up after the running batch (or the running load)
        _loadingWeights = true;
        try
        {
            while (_pendingWeights is { } target && target.Version > _version)
            {
                _pendingWeights = null;
                var blob = await weightStore.LoadAsync(target.Location!);
                _running = true;
                try
                {
                    var p = _policy!;
                    await Task.Run(() => p.LoadWeights(blob, target.Version));
                }
                finally { _running = false; }
                _version = target.Version;
                _weightLoads++;
                logger.LogInformation("Inference {Grain} loaded policy version {Version} ({Bytes} bytes)", this.GetPrimaryKeyString(), target.Version, blob.Length);
            }
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Inference {Grain} could not load policy version {Version}", this.GetPrimaryKeyString(), policy.Version);
        }
        finally
        {
            _pendingWeights = null;
            _loadingWeights = false;
        }
        Schedule();
    }
}
