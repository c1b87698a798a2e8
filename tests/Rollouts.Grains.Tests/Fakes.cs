using System.Collections.Concurrent;
using Rollouts.Agent;
using Rollouts.Config;
using Rollouts.Crafter;
using Rollouts.Learner;

namespace Rollouts.Grains.Tests;

/// <summary>
/// A small deterministic policy for grain tests: the action follows from the prompt's hash; every third prompt
/// also writes a one-subgoal plan. Records every batch; can hold batches until released (to test coalescing).
/// </summary>
public sealed class TestPolicy : IDecisionPolicy
{
    public static readonly ConcurrentQueue<int> BatchSizes = new();
    public static readonly ConcurrentQueue<int> LoadedVersions = new();
    public static volatile bool ThrowOnBatch;

    public int Version { get; private set; }

    public PolicyOutput[] DecideBatch(IReadOnlyList<int[]> prompts)
    {
        if (ThrowOnBatch) throw new InvalidOperationException("test policy failure");
        BatchSizes.Enqueue(prompts.Count);
        var outputs = new PolicyOutput[prompts.Count];
        for (int i = 0; i < prompts.Count; i++)
        {
            uint h = 2166136261;
            foreach (int t in prompts[i]) h = (h ^ (uint)t) * 16777619;
            var action = (CrafterAction)(h % (uint)CrafterNames.ActionCount);
            var decision = h % 3 == 0 ? AgentDecision.WithPlan(action, [Subgoal.CollectWood]) : AgentDecision.ActOnlyDecision(action);
            outputs[i] = new PolicyOutput(decision.OutputTokens, -1.5f, 0.25f, decision.PlanTokenCount);
        }
        return outputs;
    }

    public void LoadWeights(byte[] weights, int version)
    {
        LoadedVersions.Enqueue(version);
        Version = version;
    }

    public void Dispose() { }
}

public sealed class TestPolicyFactory : IDecisionPolicyFactory
{
    public IDecisionPolicy Create(RolloutsConfig config) => new TestPolicy();
}

/// <summary>A learner that trains nothing: reports a loss from the batch and exports a tiny blob with its update count.</summary>
public sealed class TestLearner : ILearnerAlgorithm
{
    public static readonly ConcurrentQueue<int> BatchChunkCounts = new();
    private int _updates;

    public string Name => "test";

    public UpdateOutcome RunSft(Action<UpdateOutcome>? progress, CancellationToken cancellationToken) => new(1.0, "sft", 0);

    public UpdateOutcome Update(IReadOnlyList<WeightedChunk> batch, CancellationToken cancellationToken)
    {
        _updates++;
        BatchChunkCounts.Enqueue(batch.Count);
        double reward = batch.Sum(c => c.Chunk.Rewards.Sum());
        return new UpdateOutcome(reward, "ppo", batch.Sum(c => (long)c.Chunk.Steps * c.Chunk.Envs));
    }

    public byte[] ExportWeights() => BitConverter.GetBytes(_updates);

    public void Dispose() { }
}

public sealed class TestLearnerFactory : ILearnerAlgorithmFactory
{
    public ILearnerAlgorithm Create(RolloutsConfig config) => new TestLearner();
}
