using Orleans.Concurrency;

namespace Rollouts.Grains;

/// <summary>
/// One experiment (key = experiment name): its config, phase (SFT warm-up → PPO → done), counters and policy version,
/// persisted in grain storage. Starts and stops the actors; answers status queries.
/// </summary>
public interface IExperimentGrain : IGrainWithStringKey
{
    /// <summary>Validates the YAML config, stores it and enters the SFT phase (the learner starts). Throws on a bad config.</summary>
    Task<ExperimentStatus> Submit(string configYaml, string sourceName);

    /// <summary>Validates and stores the config without starting anything (phase <see cref="ExperimentPhase.Created"/>).</summary>
    Task<ExperimentStatus> Create(string configYaml, string sourceName);

    Task<ExperimentStatus> GetStatus();

    /// <summary>The config as submitted (YAML), or null before <see cref="Submit"/>.</summary>
    Task<string?> GetConfigYaml();

    /// <summary>Stops the actors and marks the experiment stopped (the learner drains what was published).</summary>
    Task<ExperimentStatus> Stop();

    /// <summary>Gives a person's plan (already checked) to every actor's envs; null clears it.</summary>
    Task Steer(string? planText);

    /// <summary>The learner publishes a new policy version (the weights are in storage at <see cref="PolicyRef.Location"/>).</summary>
    Task PublishPolicy(PolicyRef policy);

    Task<PolicyRef> GetPolicy();

    /// <summary>The learner finished the warm-up: PPO starts and the actors are launched.</summary>
    Task BeginPpo();

    /// <summary>The learner failed: the experiment stops with the message.</summary>
    Task Fail(string error);

    [OneWay]
    Task ReportActor(ActorProgress progress);

    [OneWay]
    Task ReportLearner(LearnerProgress progress);

    /// <summary>Registers an inference grain so that it is told about new policy versions at once.</summary>
    Task RegisterInference(string inferenceKey);
}

/// <summary>K Crafter envs stepped together (key = "{experiment}/{actor index}").</summary>
public interface IEnvironmentGrain : IGrainWithStringKey
{
    /// <summary>Creates the envs (seeded from the spec), starts their first episodes and returns the observations.</summary>
    Task<EnvObservations> Init(EnvSpec spec);

    /// <summary>
    /// Steps every env with the action of its output (<c>&lt;plan&gt; … &lt;/plan&gt; &lt;act&gt; A</c> or <c>&lt;act&gt; A</c>; the plan
    /// becomes the env's current plan); finished envs start their next episode (auto-reset). With a teacher attached
    /// the teacher's own outputs are used and <paramref name="outputs"/> only gives the count.
    /// </summary>
    Task<EnvStepResults> Step(int[][] outputs);

    /// <summary>A person's plan (checked text) becomes every env's current plan; null clears it. Returns the new prompts.</summary>
    Task<EnvObservations> SetPlan(string? planText);

    /// <summary>The current observations (e.g. after the actor restarts).</summary>
    Task<EnvObservations> Observe();
}

/// <summary>Drives one environment grain with decisions from an inference grain; streams trajectory chunks.</summary>
public interface IActorGrain : IGrainWithStringKey
{
    Task Start(ActorSpec spec);

    Task Stop();

    Task<ActorStats> GetStats();

    /// <summary>A person's plan (checked text) for every env of this actor; null clears it.</summary>
    Task SetPlan(string? planText);

    /// <summary>Chaos testing: the next loop iteration throws (the actor must recover).</summary>
    Task InjectFault(string reason);
}

/// <summary>
/// Holds the policy and answers decision requests, coalescing concurrent requests from many actors into batches
/// (key = "{experiment}/{replica}"; placed on silos with the inference role).
/// </summary>
public interface IInferenceGrain : IGrainWithStringKey
{
    Task<DecisionResponse> Decide(DecisionRequest request);

    /// <summary>A newer policy is published; the grain pulls its weights from checkpoint storage.</summary>
    [OneWay]
    Task NotifyPolicy(PolicyRef policy);

    Task<InferenceStats> GetStats();
}

/// <summary>The learner's intake of one experiment (key = experiment id; placed on silos with the learner role).</summary>
public interface ILearnerGrain : IGrainWithStringKey
{
    /// <summary>Starts the learner (SFT warm-up, then PPO on the trajectory stream). Idempotent.</summary>
    Task Start();

    Task<LearnerProgress> GetProgress();

    /// <summary>Waits (up to the timeout) until every published chunk has been ingested; returns the progress.</summary>
    Task<LearnerProgress> Drain(long chunksPublished, TimeSpan timeout);
}

/// <summary>Names shared by producers and consumers.</summary>
public static class RolloutsNames
{
    public const string StreamProvider = "trajectories";
    public const string TrajectoryNamespace = "trajectories";
    public const string StateStore = "rollouts";
    public const string PubSubStore = "PubSubStore";

    public static string EnvKey(string experimentId, int actorIndex) => $"{experimentId}/{actorIndex}";
    public static string ActorKey(string experimentId, int actorIndex) => $"{experimentId}/{actorIndex}";
    public static string InferenceKey(string experimentId, int replica) => $"{experimentId}/{replica}";

    /// <summary>The experiment id in a "{experiment}/{index}" key.</summary>
    public static string ExperimentOf(string key)
    {
        int slash = key.LastIndexOf('/');
        return slash < 0 ? key : key[..slash];
    }

    public static int IndexOf(string key)
    {
        int slash = key.LastIndexOf('/');
        return slash < 0 ? 0 : int.Parse(key.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture);
    }
}
