using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using Rollouts.Config;

namespace Rollouts.Grains;

[GenerateSerializer]
public sealed class ExperimentState
{
    [Id(0)] public string? ConfigYaml { get; set; }
    [Id(1)] public string SourceName { get; set; } = "";
    [Id(2)] public ExperimentPhase Phase { get; set; }
    [Id(3)] public int PolicyVersion { get; set; }
    [Id(4)] public string? PolicyLocation { get; set; }
    [Id(5)] public long EnvSteps { get; set; }
    [Id(6)] public long PpoEnvSteps { get; set; }
    [Id(7)] public long Episodes { get; set; }
    [Id(8)] public long ChunksPublished { get; set; }
    [Id(9)] public long ChunksIngested { get; set; }
    [Id(10)] public long ChunksDropped { get; set; }
    [Id(11)] public long LearnerUpdates { get; set; }
    [Id(12)] public double? LearnerLoss { get; set; }
    [Id(13)] public string LearnerLossKind { get; set; } = "";
    [Id(14)] public long PlanSteps { get; set; }
    [Id(15)] public long OutputTokens { get; set; }
    [Id(16)] public long[] AchievementCounts { get; set; } = new long[CrafterScore.Achievements];
    [Id(17)] public double ReturnSum { get; set; }
    [Id(18)] public long LengthSum { get; set; }
    [Id(19)] public int ActorFailures { get; set; }
    [Id(20)] public string? SteeringPlan { get; set; }
    [Id(21)] public string? Error { get; set; }
    [Id(22)] public DateTime? StartedUtc { get; set; }
    [Id(23)] public DateTime? PpoStartedUtc { get; set; }
    [Id(24)] public double MeanPolicyLag { get; set; }
    [Id(25)] public double LearnerSamplesPerSecond { get; set; }
    [Id(26)] public int Actors { get; set; }
}

/// <summary>
/// The experiment: its config, phase (SFT warm-up → PPO → done), counters and policy version, kept in grain storage
/// (written on every phase or version change and every few seconds while counters move). Starts the learner on
/// submit and the actors when PPO begins; stops them when the env-step budget or the time limit is reached, or on
/// <see cref="Stop"/>. Reentrant: status queries and reports never wait behind a slow call.
/// </summary>
[Reentrant]
public sealed class ExperimentGrain(
    [PersistentState("experiment", RolloutsNames.StateStore)] IPersistentState<ExperimentState> state,
    ILogger<ExperimentGrain> logger) : Grain, IExperimentGrain
{
    private readonly HashSet<string> _inference = new(StringComparer.Ordinal);
    private RolloutsConfig? _config;
    private bool _dirty;
    private IGrainTimer? _timer;

    private ExperimentState S => state.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.ConfigYaml is not null) _config = ConfigLoader.Parse(S.ConfigYaml, S.SourceName);
        _timer = this.RegisterGrainTimer(OnTimer, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromSeconds(2),
            Period = TimeSpan.FromSeconds(2),
            Interleave = true,
            KeepAlive = true,
        });
        // A restarted experiment goes on where its stored state says.
        if (S.Phase is ExperimentPhase.Sft or ExperimentPhase.Ppo)
        {
            logger.LogInformation("Experiment {Id} resumes in phase {Phase}", this.GetPrimaryKeyString(), S.Phase);
            GrainFactory.GetGrain<ILearnerGrain>(this.GetPrimaryKeyString()).Start().Ignore();
            if (S.Phase == ExperimentPhase.Ppo) StartActors().Ignore();
        }
        await Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        if (!_dirty) return;
        try { await state.WriteStateAsync(cancellationToken); }
        catch (Exception e) { logger.LogDebug(e, "Experiment {Id}: last state write on deactivation failed (silo shutting down)", this.GetPrimaryKeyString()); }
    }

    public async Task<ExperimentStatus> Submit(string configYaml, string sourceName)
    {
        await Create(configYaml, sourceName);
        S.Phase = ExperimentPhase.Sft;
        S.StartedUtc = DateTime.UtcNow;
        await state.WriteStateAsync();
        logger.LogInformation("Experiment {Id} submitted from {Source}: SFT warm-up starts", this.GetPrimaryKeyString(), sourceName);
        await GrainFactory.GetGrain<ILearnerGrain>(this.GetPrimaryKeyString()).Start();
        return Status();
    }

    public async Task<ExperimentStatus> Create(string configYaml, string sourceName)
    {
        RolloutsConfig config;
        try { config = ConfigLoader.Parse(configYaml, sourceName); }
        catch (ConfigException e) { throw new ExperimentRejectedException(e.Message); }
        if (config.Experiment.Name != this.GetPrimaryKeyString())
            throw new ExperimentRejectedException($"{sourceName}: experiment.name is '{config.Experiment.Name}' but was submitted as '{this.GetPrimaryKeyString()}'");
        if (S.Phase is ExperimentPhase.Sft or ExperimentPhase.Ppo)
            throw new ExperimentRejectedException($"Experiment '{this.GetPrimaryKeyString()}' is already running (phase {S.Phase}); stop it first.");
        state.State = new ExperimentState
        {
            ConfigYaml = configYaml,
            SourceName = sourceName,
            Phase = ExperimentPhase.Created,
            Actors = config.Rollout.Actors,
        };
        _config = config;
        await state.WriteStateAsync();
        return Status();
    }

    public Task<ExperimentStatus> GetStatus() => Task.FromResult(Status());

    public Task<string?> GetConfigYaml() => Task.FromResult(S.ConfigYaml);

    public async Task<ExperimentStatus> Stop()
    {
        if (S.Phase is ExperimentPhase.Sft or ExperimentPhase.Ppo or ExperimentPhase.Created)
        {
            S.Phase = ExperimentPhase.Stopped;
            await state.WriteStateAsync();
        }
        await StopActors();
        return Status();
    }

    public async Task Steer(string? planText)
    {
        S.SteeringPlan = planText;
        _dirty = true;
        if (_config is null || S.Phase != ExperimentPhase.Ppo) return;
        await Task.WhenAll(Enumerable.Range(0, _config.Rollout.Actors)
            .Select(i => GrainFactory.GetGrain<IActorGrain>(RolloutsNames.ActorKey(this.GetPrimaryKeyString(), i)).SetPlan(planText)));
    }

    public async Task PublishPolicy(PolicyRef policy)
    {
        if (policy.Version <= S.PolicyVersion) return;
        S.PolicyVersion = policy.Version;
        S.PolicyLocation = policy.Location;
        await state.WriteStateAsync();
        foreach (string key in _inference) GrainFactory.GetGrain<IInferenceGrain>(key).NotifyPolicy(policy).Ignore();
    }

    public Task<PolicyRef> GetPolicy() => Task.FromResult(new PolicyRef(S.PolicyVersion, S.PolicyLocation));

    public async Task BeginPpo()
    {
        if (S.Phase != ExperimentPhase.Sft) return;
        S.Phase = ExperimentPhase.Ppo;
        S.PpoStartedUtc = DateTime.UtcNow;
        await state.WriteStateAsync();
        logger.LogInformation("Experiment {Id}: PPO starts with {Actors} actors", this.GetPrimaryKeyString(), _config!.Rollout.Actors);
        await StartActors();
    }

    public async Task Fail(string error)
    {
        S.Error = error;
        S.Phase = ExperimentPhase.Failed;
        await state.WriteStateAsync();
        logger.LogError("Experiment {Id} failed: {Error}", this.GetPrimaryKeyString(), error);
        await StopActors();
    }

    public Task ReportActor(ActorProgress progress)
    {
        S.EnvSteps += progress.EnvSteps;
        if (S.Phase == ExperimentPhase.Ppo) S.PpoEnvSteps += progress.EnvSteps;
        S.PlanSteps += progress.PlanSteps;
        S.OutputTokens += progress.OutputTokens;
        S.ChunksPublished += progress.ChunksPublished;
        S.ActorFailures += progress.Failures;
        foreach (var e in progress.Episodes)
        {
            S.Episodes++;
            S.ReturnSum += e.Return;
            S.LengthSum += e.Length;
            CrafterScore.Count(e.Achievements, S.AchievementCounts);
        }
        _dirty = true;
        if (S.Phase == ExperimentPhase.Ppo && _config is not null && S.PpoEnvSteps >= _config.Experiment.TotalEnvSteps)
            Finish(ExperimentPhase.Done, "env-step budget reached").Ignore();
        return Task.CompletedTask;
    }

    public Task ReportLearner(LearnerProgress progress)
    {
        S.ChunksIngested = progress.ChunksIngested;
        S.ChunksDropped = progress.ChunksDropped;
        S.LearnerUpdates = progress.Updates;
        S.LearnerLoss = progress.Loss;
        S.LearnerLossKind = progress.LossKind;
        S.MeanPolicyLag = progress.MeanPolicyLag;
        S.LearnerSamplesPerSecond = progress.SamplesPerSecond;
        _dirty = true;
        return Task.CompletedTask;
    }

    public Task RegisterInference(string inferenceKey)
    {
        _inference.Add(inferenceKey);
        return Task.CompletedTask;
    }

    private async Task Finish(ExperimentPhase phase, string why)
    {
        if (S.Phase is not (ExperimentPhase.Sft or ExperimentPhase.Ppo)) return;
        S.Phase = phase;
        logger.LogInformation("Experiment {Id} ends ({Why})", this.GetPrimaryKeyString(), why);
        await state.WriteStateAsync();
        await StopActors();
    }

    private async Task OnTimer(CancellationToken cancellationToken)
    {
        if (_config is not null && S.StartedUtc is { } started && S.Phase is ExperimentPhase.Sft or ExperimentPhase.Ppo
            && DateTime.UtcNow - started > TimeSpan.FromMinutes(_config.Experiment.MaxMinutes))
        {
            await Finish(ExperimentPhase.Done, $"time limit of {_config.Experiment.MaxMinutes} minutes reached");
            return;
        }
        if (_dirty)
        {
            _dirty = false;
            await state.WriteStateAsync(cancellationToken);
        }
    }

    private async Task StartActors()
    {
        var config = _config!;
        string id = this.GetPrimaryKeyString();
        bool teacher = config.Rollout.Policy == "teacher";
        await Task.WhenAll(Enumerable.Range(0, config.Rollout.Actors).Select(i =>
        {
            var env = new EnvSpec(id, i, config.Env.EnvsPerActor, config.Experiment.Seed, config.Env.Area, config.Env.Length, teacher);
            var spec = new ActorSpec(id, i, env, config.Rollout.ChunkLength, config.Env.RecentActions, config.Inference.Replicas, teacher);
            var actor = GrainFactory.GetGrain<IActorGrain>(RolloutsNames.ActorKey(id, i));
            return StartActor(actor, spec);
        }));
        if (S.SteeringPlan is { } plan) await Steer(plan);
    }

    private async Task StartActor(IActorGrain actor, ActorSpec spec)
    {
        try { await actor.Start(spec); }
        catch (Exception e)
        {
            // One actor that cannot start does not stop the experiment.
            S.ActorFailures++;
            logger.LogWarning(e, "Actor {Index} of experiment {Id} did not start", spec.Index, spec.ExperimentId);
        }
    }

    private async Task StopActors()
    {
        if (_config is null) return;
        string id = this.GetPrimaryKeyString();
        await Task.WhenAll(Enumerable.Range(0, _config.Rollout.Actors).Select(async i =>
        {
            try { await GrainFactory.GetGrain<IActorGrain>(RolloutsNames.ActorKey(id, i)).Stop(); }
            catch (Exception e) { logger.LogWarning(e, "Actor {Index} of experiment {Id} did not stop cleanly", i, id); }
        }));
    }

    private ExperimentStatus Status()
    {
        var rates = CrafterScore.Rates(S.AchievementCounts, S.Episodes);
        return new ExperimentStatus
        {
            ExperimentId = this.GetPrimaryKeyString(),
            Phase = S.Phase,
            PolicyVersion = S.PolicyVersion,
            EnvSteps = S.EnvSteps,
            PpoEnvSteps = S.PpoEnvSteps,
            Episodes = S.Episodes,
            ChunksPublished = S.ChunksPublished,
            ChunksIngested = S.ChunksIngested,
            ChunksDropped = S.ChunksDropped,
            LearnerUpdates = S.LearnerUpdates,
            LearnerLoss = S.LearnerLoss,
            LearnerLossKind = S.LearnerLossKind,
            CrafterScore = CrafterScore.Score(rates),
            AchievementRates = rates,
            PlanningRate = S.EnvSteps == 0 ? 0 : (double)S.PlanSteps / S.EnvSteps,
            TokensPerStep = S.EnvSteps == 0 ? 0 : (double)S.OutputTokens / S.EnvSteps,
            MeanReturn = S.Episodes == 0 ? 0 : S.ReturnSum / S.Episodes,
            MeanEpisodeLength = S.Episodes == 0 ? 0 : (double)S.LengthSum / S.Episodes,
            Actors = S.Actors,
            ActorFailures = S.ActorFailures,
            SteeringPlan = S.SteeringPlan,
            Error = S.Error,
            StartedUtc = S.StartedUtc,
            PpoStartedUtc = S.PpoStartedUtc,
            MeanPolicyLag = S.MeanPolicyLag,
            LearnerSamplesPerSecond = S.LearnerSamplesPerSecond,
        };
    }
}
