using Rollouts.Config;
using Rollouts.Grains;

namespace Rollouts.Learner;

/// <summary>A chunk accepted for an update, with its weight (1, or less when down-weighted for policy lag).</summary>
public sealed record WeightedChunk(TrajectoryChunk Chunk, float Weight, int Lag);

/// <summary>What one SFT warm-up or PPO update reports.</summary>
public sealed record UpdateOutcome(double Loss, string LossKind, long Samples, IReadOnlyDictionary<string, double>? Extra = null);

/// <summary>
/// The learning algorithm behind the learner service: an SFT warm-up on teacher data, then PPO updates on batches
/// of trajectory chunks. Called from the learner's own thread, one call at a time.
/// </summary>
public interface ILearnerAlgorithm : IDisposable
{
    /// <summary>A short name for logs and reports.</summary>
    string Name { get; }

    /// <summary>The warm-up: supervised learning on teacher episodes (may report progress as it goes).</summary>
    UpdateOutcome RunSft(Action<UpdateOutcome>? progress, CancellationToken cancellationToken);

    /// <summary>One PPO update over the batch (GAE per env, clipped surrogate, value loss, entropy bonus).</summary>
    UpdateOutcome Update(IReadOnlyList<WeightedChunk> batch, CancellationToken cancellationToken);

    /// <summary>The current weights, as the inference policy loads them (<see cref="IDecisionPolicy.LoadWeights"/>).</summary>
    byte[] ExportWeights();
}

public interface ILearnerAlgorithmFactory
{
    ILearnerAlgorithm Create(RolloutsConfig config);
}
