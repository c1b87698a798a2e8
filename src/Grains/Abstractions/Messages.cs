namespace Rollouts.Grains;

/// <summary>What an environment grain is set up with: K Crafter envs whose seeds derive from the experiment seed.</summary>
[GenerateSerializer, Immutable]
public sealed record EnvSpec(
    [property: Id(0)] string ExperimentId,
    [property: Id(1)] int ActorIndex,
    [property: Id(2)] int Count,
    [property: Id(3)] long ExperimentSeed,
    [property: Id(4)] int Area,
    [property: Id(5)] int Length,
    [property: Id(6)] bool WithTeacher)
{
    /// <summary>
    /// The Crafter seed of env <paramref name="envIndex"/> of actor <paramref name="actorIndex"/>. Together with the
    /// episode number (Crafter derives each episode's world from <c>hash((seed, episode))</c>) it replays any episode:
    /// <c>new CrafterEnv(seed)</c>, then <c>Reset()</c> that many times.
    /// </summary>
    public static long EnvSeed(long experimentSeed, int actorIndex, int envIndex) =>
        checked(experimentSeed * 1_000_000L + actorIndex * 1_000L + envIndex);

    public long SeedOf(int envIndex) => EnvSeed(ExperimentSeed, ActorIndex, envIndex);
}

/// <summary>The current observation of each env, as tokens (and the teacher's output where a teacher is attached).</summary>
[GenerateSerializer, Immutable]
public sealed record EnvObservations(
    [property: Id(0)] int[][] Tokens,
    [property: Id(1)] int[][]? TeacherOutputs,
    [property: Id(2)] int[] Episodes);

/// <summary>One finished episode of one env: enough to score it and to replay it (seed + episode number).</summary>
[GenerateSerializer, Immutable]
public sealed record EpisodeSummary(
    [property: Id(0)] int EnvIndex,
    [property: Id(1)] long Seed,
    [property: Id(2)] int Episode,
    [property: Id(3)] double Return,
    [property: Id(4)] int Length,
    [property: Id(5)] uint Achievements,
    [property: Id(6)] int PlanSteps,
    [property: Id(7)] long OutputTokens);

/// <summary>The result of stepping every env once: rewards, dones, and the next observations (after auto-reset).</summary>
[GenerateSerializer, Immutable]
public sealed record EnvStepResults(
    [property: Id(0)] float[] Rewards,
    [property: Id(1)] bool[] Dones,
    [property: Id(2)] uint[] Unlocked,
    [property: Id(3)] EnvObservations Next,
    [property: Id(4)] EpisodeSummary[] Finished);

/// <summary>Prompts from one actor (one per env) for one decision each.</summary>
[GenerateSerializer, Immutable]
public sealed record DecisionRequest(
    [property: Id(0)] string ActorId,
    [property: Id(1)] int[][] Prompts);

/// <summary>One plan-or-act output: its tokens, their summed log-probability, the value estimate, how many plan tokens.</summary>
[GenerateSerializer, Immutable]
public sealed record PolicyOutput(
    [property: Id(0)] int[] Tokens,
    [property: Id(1)] float LogProb,
    [property: Id(2)] float Value,
    [property: Id(3)] int PlanTokens);

/// <summary>The answer to one <see cref="DecisionRequest"/>: an output per prompt, from one policy version.</summary>
[GenerateSerializer, Immutable]
public sealed record DecisionResponse(
    [property: Id(0)] PolicyOutput[] Outputs,
    [property: Id(1)] int PolicyVersion,
    [property: Id(2)] int BatchSize);

/// <summary>
/// A fixed-length piece of trajectory from one actor's K envs (step-major: entry t*K + k is env k at step t).
/// <see cref="Id"/> (actor id + sequence number) makes intake idempotent.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TrajectoryChunk
{
    [Id(0)] public required string ExperimentId { get; init; }
    [Id(1)] public required string ActorId { get; init; }
    [Id(2)] public required long Sequence { get; init; }
    /// <summary>The oldest policy version that produced a step of this chunk.</summary>
    [Id(3)] public required int PolicyVersion { get; init; }
    [Id(4)] public required int Envs { get; init; }
    [Id(5)] public required int Steps { get; init; }
    [Id(6)] public required int[][] PromptTokens { get; init; }
    [Id(7)] public required int[][] OutputTokens { get; init; }
    [Id(8)] public required float[] LogProbs { get; init; }
    [Id(9)] public required float[] Values { get; init; }
    [Id(10)] public required float[] Rewards { get; init; }
    [Id(11)] public required bool[] Dones { get; init; }
    [Id(12)] public required int[] PlanTokens { get; init; }
    [Id(13)] public required int[] Actions { get; init; }
    /// <summary>Policy version per step (t*K + k).</summary>
    [Id(14)] public required int[] StepVersions { get; init; }
    /// <summary>Value of the observation after the last step, per env (for GAE).</summary>
    [Id(15)] public required float[] BootstrapValues { get; init; }
    /// <summary>True when the outputs came from the scripted teacher (log-probs and values are then zero).</summary>
    [Id(16)] public bool FromTeacher { get; init; }

    public ChunkId Id => new(ActorId, Sequence);
}

[GenerateSerializer, Immutable]
public readonly record struct ChunkId([property: Id(0)] string ActorId, [property: Id(1)] long Sequence)
{
    public override string ToString() => $"{ActorId}#{Sequence}";
}

/// <summary>What an actor is started with.</summary>
[GenerateSerializer, Immutable]
public sealed record ActorSpec(
    [property: Id(0)] string ExperimentId,
    [property: Id(1)] int Index,
    [property: Id(2)] EnvSpec Env,
    [property: Id(3)] int ChunkLength,
    [property: Id(4)] int RecentActions,
    [property: Id(5)] int InferenceReplicas,
    [property: Id(6)] bool UseTeacher);

[GenerateSerializer, Immutable]
public sealed record ActorStats(
    [property: Id(0)] string ActorId,
    [property: Id(1)] bool Running,
    [property: Id(2)] long EnvSteps,
    [property: Id(3)] long ChunksPublished,
    [property: Id(4)] long Episodes,
    [property: Id(5)] int Failures,
    [property: Id(6)] string? LastError,
    [property: Id(7)] string? SteeringPlan);

/// <summary>Progress an actor reports after each published chunk.</summary>
[GenerateSerializer, Immutable]
public sealed record ActorProgress(
    [property: Id(0)] string ActorId,
    [property: Id(1)] long EnvSteps,
    [property: Id(2)] long PlanSteps,
    [property: Id(3)] long OutputTokens,
    [property: Id(4)] EpisodeSummary[] Episodes,
    [property: Id(5)] int ChunksPublished,
    [property: Id(6)] int Failures);

/// <summary>Progress the learner reports.</summary>
[GenerateSerializer, Immutable]
public sealed record LearnerProgress(
    [property: Id(0)] long ChunksIngested,
    [property: Id(1)] long ChunksDuplicate,
    [property: Id(2)] long ChunksDropped,
    [property: Id(3)] long Updates,
    [property: Id(4)] double? Loss,
    [property: Id(5)] string LossKind,
    [property: Id(6)] double SamplesPerSecond,
    [property: Id(7)] double MeanPolicyLag);

/// <summary>A published policy: version and where its weights are (file path or blob URI).</summary>
[GenerateSerializer, Immutable]
public sealed record PolicyRef(
    [property: Id(0)] int Version,
    [property: Id(1)] string? Location);

[GenerateSerializer]
public enum ExperimentPhase
{
    Created = 0,
    Sft = 1,
    Ppo = 2,
    Done = 3,
    Stopped = 4,
    Failed = 5,
}

/// <summary>Everything <c>rollouts status</c> shows.</summary>
[GenerateSerializer, Immutable]
public sealed record ExperimentStatus
{
    [Id(0)] public required string ExperimentId { get; init; }
    [Id(1)] public required ExperimentPhase Phase { get; init; }
    [Id(2)] public required int PolicyVersion { get; init; }
    [Id(3)] public long EnvSteps { get; init; }
    [Id(4)] public long Episodes { get; init; }
    [Id(5)] public long ChunksPublished { get; init; }
    [Id(6)] public long ChunksIngested { get; init; }
    [Id(7)] public long ChunksDropped { get; init; }
    [Id(8)] public long LearnerUpdates { get; init; }
    [Id(9)] public double? LearnerLoss { get; init; }
    [Id(10)] public string LearnerLossKind { get; init; } = "";
    [Id(11)] public double CrafterScore { get; init; }
    [Id(12)] public double PlanningRate { get; init; }
    [Id(13)] public double TokensPerStep { get; init; }
    [Id(14)] public double MeanReturn { get; init; }
    [Id(15)] public double MeanEpisodeLength { get; init; }
    [Id(16)] public double[] AchievementRates { get; init; } = [];
    [Id(17)] public int Actors { get; init; }
    [Id(18)] public int ActorFailures { get; init; }
    [Id(19)] public string? SteeringPlan { get; init; }
    [Id(20)] public string? Error { get; init; }
    [Id(21)] public DateTime? StartedUtc { get; init; }
    [Id(22)] public DateTime? PpoStartedUtc { get; init; }
    [Id(23)] public long PpoEnvSteps { get; init; }
    [Id(24)] public double MeanPolicyLag { get; init; }
    [Id(25)] public double LearnerSamplesPerSecond { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record InferenceStats(
    [property: Id(0)] string GrainId,
    [property: Id(1)] string Silo,
    [property: Id(2)] long Batches,
    [property: Id(3)] long Prompts,
    [property: Id(4)] long Requests,
    [property: Id(5)] double MeanBatchSize,
    [property: Id(6)] double MeanLatencyMs,
    [property: Id(7)] double MeanRequestsPerBatch,
    [property: Id(8)] int PolicyVersion,
    [property: Id(9)] int WeightLoads);

/// <summary>A request the experiment refuses (a bad config, a plan with an unknown subgoal, a wrong state); the message says why.</summary>
[GenerateSerializer]
public sealed class ExperimentRejectedException : Exception
{
    public ExperimentRejectedException(string message) : base(message) { }
}
