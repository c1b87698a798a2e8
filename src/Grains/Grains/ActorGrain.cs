using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace Rollouts.Grains;

/// <summary>
/// Drives one environment grain: asks an inference grain for each step's plan-or-act outputs (one batched request for
/// its K envs), steps the envs, and every <c>chunk_length</c> steps publishes a <see cref="TrajectoryChunk"/> on the
/// experiment's trajectory stream. The loop is a grain timer (one chunk per tick, interleaving with calls such as
/// <see cref="Stop"/>), so it never blocks the silo and ends with the activation. A failing tick is logged and counted,
/// and the next tick starts over from fresh observations: a failing actor does not stop the experiment.
/// </summary>
[RolloutPlacement]
public sealed class ActorGrain(ILogger<ActorGrain> logger) : Grain, IActorGrain
{
    private ActorSpec? _spec;
    private string _chunkActorId = "";
    private IEnvironmentGrain? _env;
    private IInferenceGrain? _inference;
    private IExperimentGrain? _experiment;
    private IAsyncStream<TrajectoryChunk>? _stream;
    private IGrainTimer? _timer;
    private bool _running;
    private bool _needsInit = true;
    private EnvObservations? _obs;
    private DecisionResponse? _next;
    private TaskCompletionSource? _tick;
    private string? _fault;
    private string? _steeringPlan;
    private int[]?[] _plans = [];
    private long _sequence;
    private long _envSteps, _chunks, _episodes;
    private int _failures, _unreportedFailures;
    private string? _lastError;

    public async Task Start(ActorSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (_running) return;
        _spec = spec;
        string key = this.GetPrimaryKeyString();
        // A new incarnation per activation keeps chunk ids unique even if the actor restarts elsewhere.
        _chunkActorId = $"{key}~{Guid.NewGuid().ToString("N")[..8]}";
        _env = GrainFactory.GetGrain<IEnvironmentGrain>(RolloutsNames.EnvKey(spec.ExperimentId, spec.Index));
        _inference = GrainFactory.GetGrain<IInferenceGrain>(RolloutsNames.InferenceKey(spec.ExperimentId, spec.Index % Math.Max(1, spec.InferenceReplicas)));
        _experiment = GrainFactory.GetGrain<IExperimentGrain>(spec.ExperimentId);
        _stream = this.GetStreamProvider(RolloutsNames.StreamProvider)
            .GetStream<TrajectoryChunk>(StreamId.Create(RolloutsNames.TrajectoryNamespace, spec.ExperimentId));
        _plans = new int[]?[spec.Env.Count];
        _needsInit = true;
        _running = true;
        await InitEnvironment();
        _timer = this.RegisterGrainTimer(Tick, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = TimeSpan.FromMilliseconds(1),
            Interleave = true,
            KeepAlive = true,
        });
    }

    public async Task Stop()
    {
        _running = false;
        _timer?.Dispose();
        _timer = null;
        if (_tick is { } tick) await tick.Task;
    }

    public Task<ActorStats> GetStats() => Task.FromResult(new ActorStats(
        this.GetPrimaryKeyString(), _running, _envSteps, _chunks, _episodes, _failures, _lastError, _steeringPlan));

    public async Task SetPlan(string? planText)
    {
        _steeringPlan = planText;
        if (_env is null || _needsInit) return;
        _obs = await _env.SetPlan(planText);
        _next = null;
    }

    public Task InjectFault(string reason)
    {
        _fault = reason;
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _running = false;
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    private async Task InitEnvironment()
    {
        _obs = await _env!.Init(_spec!.Env);
        if (_steeringPlan is not null) _obs = await _env.SetPlan(_steeringPlan);
        _next = null;
        Array.Clear(_plans);
        _needsInit = false;
    }

    private async Task Tick(CancellationToken cancellationToken)
    {
        if (!_running || _tick is not null) return;
        _tick = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await RunChunk();
        }
        catch (Exception e)
        {
            _failures++;
            _unreportedFailures++;
            RolloutsMetrics.ActorFailures.Add(1);
            _lastError = e.Message;
            logger.LogWarning(e, "Actor {Actor} failed a chunk ({Failures} failures so far); it starts over from fresh observations", this.GetPrimaryKeyString(), _failures);
            _needsInit = true;
            _experiment?.ReportActor(new ActorProgress(this.GetPrimaryKeyString(), 0, 0, 0, [], 0, _unreportedFailures)).Ignore();
            _unreportedFailures = 0;
        }
        finally
        {
            var tick = _tick;
            _tick = null;
            tick.SetResult();
        }
    }

    private async Task RunChunk()
    {
        var spec = _spec!;
        if (_fault is { } fault)
        {
            _fault = null;
            throw new InvalidOperationException($"injected fault: {fault}");
        }
        if (_needsInit) await InitEnvironment();

        int k = spec.Env.Count, steps = spec.ChunkLength, n = k * steps;
        var chunkBuilder = new TrajectoryChunkBuilder(k, steps);
        var finished = new List<EpisodeSummary>();
        long planSteps = 0, tokens = 0;
        int minVersion = int.MaxValue;

        for (int t = 0; t < steps; t++)
        {
            var obs = _obs!;
            var decisions = _next ??= await Decide(obs);
            if (!_running) return;
            var stepOutputs = new int[k][];
            for (int i = 0; i < k; i++)
            {
                var output = decisions.Outputs[i];
                stepOutputs[i] = output.Tokens;
                int action = output.Tokens.Length > 0 && Rollouts.Agent.Vocabulary.IsAction(output.Tokens[^1]) ? output.Tokens[^1] - Rollouts.Agent.Vocabulary.FirstAction : -1;
                chunkBuilder.RecordDecision(t, i, obs.Tokens[i], output, action, decisions.PolicyVersion);
                if (output.PlanTokens > 0)
                {
                    planSteps++;
                    _plans[i] = output.Tokens[..output.PlanTokens];
                }
                tokens += output.Tokens.Length;
            }
            minVersion = Math.Min(minVersion, decisions.PolicyVersion);
            var result = await _env!.Step(stepOutputs);
            for (int i = 0; i < k; i++)
            {
                chunkBuilder.RecordOutcome(t, i, result.Rewards[i], result.Dones[i]);
                if (result.Dones[i]) _plans[i] = null;
            }
            finished.AddRange(result.Finished);
            _obs = result.Next;
            _next = null;
            if (!_running) return;
        }

        // The value of the observation after the chunk bootstraps GAE; its decision is the next chunk's first.
        var next = _next = await Decide(_obs!);
        if (!_running) return;
        var bootstrap = new float[k];
        for (int i = 0; i < k; i++) bootstrap[i] = next.Outputs[i].Value;

        var chunk = chunkBuilder.Build(spec.ExperimentId, _chunkActorId, _sequence, minVersion, bootstrap, spec.UseTeacher);
        await _stream!.OnNextAsync(chunk);
        _sequence++;
        _chunks++;
        RolloutsMetrics.ChunksPublished.Add(1);
        RolloutsMetrics.EnvSteps.Add(n);
        _envSteps += n;
        _episodes += finished.Count;
        _experiment!.ReportActor(new ActorProgress(this.GetPrimaryKeyString(), n, planSteps, tokens, finished.ToArray(), 1, _unreportedFailures)).Ignore();
        _unreportedFailures = 0;
    }

    private async Task<DecisionResponse> Decide(EnvObservations obs)
    {
        if (_spec!.UseTeacher)
        {
            var teacher = obs.TeacherOutputs ?? throw new InvalidOperationException("The environment has no teacher attached.");
            var outputs = new PolicyOutput[teacher.Length];
            for (int i = 0; i < outputs.Length; i++)
            {
                var tokens = teacher[i];
                outputs[i] = new PolicyOutput(tokens, 0f, 0f, Math.Max(0, tokens.Length - 2));
            }
            return new DecisionResponse(outputs, 0, outputs.Length);
        }
        var response = await _inference!.Decide(new DecisionRequest(_chunkActorId, obs.Tokens));
        if (response.Outputs.Length != obs.Tokens.Length)
            throw new InvalidOperationException($"The inference grain answered {response.Outputs.Length} outputs for {obs.Tokens.Length} prompts.");
        return response;
    }
}
