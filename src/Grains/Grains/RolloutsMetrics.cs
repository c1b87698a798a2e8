using System.Diagnostics.Metrics;

namespace Rollouts.Grains;

/// <summary>OpenTelemetry instruments of the rollout system (meter <c>Rollouts</c>).</summary>
public static class RolloutsMetrics
{
    public const string MeterName = "Rollouts";
    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> EnvSteps = Meter.CreateCounter<long>("rollouts.env_steps", description: "Environment steps taken by actors");
    public static readonly Counter<long> ChunksPublished = Meter.CreateCounter<long>("rollouts.chunks_published", description: "Trajectory chunks published");
    public static readonly Counter<long> ActorFailures = Meter.CreateCounter<long>("rollouts.actor_failures", description: "Actor loop iterations that failed");
    public static readonly Histogram<int> InferenceBatchSize = Meter.CreateHistogram<int>("rollouts.inference.batch_size", description: "Prompts per inference batch");
    public static readonly Histogram<double> InferenceLatency = Meter.CreateHistogram<double>("rollouts.inference.latency", unit: "ms", description: "Decision request latency (queue + forward)");
    public static readonly Counter<long> ChunksIngested = Meter.CreateCounter<long>("rollouts.learner.chunks_ingested", description: "Chunks taken in by the learner (exactly once)");
}
