using Orleans.Runtime;

namespace Rollouts.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class LearnerIntakeTests(ClusterFixture fixture)
{
    internal static TrajectoryChunk Chunk(string experiment, string actor, long sequence, int version = 0) => new()
    {
        ExperimentId = experiment,
        ActorId = actor,
        Sequence = sequence,
        PolicyVersion = version,
        Envs = 1,
        Steps = 2,
        PromptTokens = [[1, 2], [1, 3]],
        OutputTokens = [[6, 9], [6, 10]],
        LogProbs = [-1, -1],
        Values = [0, 0],
        Rewards = [0, 1],
        Dones = [false, false],
        PlanTokens = [0, 0],
        Actions = [0, 1],
        StepVersions = [version, version],
        BootstrapValues = [0],
    };

    [Fact]
    public async Task Each_chunk_is_ingested_exactly_once_even_when_delivered_twice()
    {
        string experiment = "intake-" + Guid.NewGuid().ToString("N")[..6];
        var stream = fixture.Cluster.Client.GetStreamProvider(RolloutsNames.StreamProvider)
            .GetStream<TrajectoryChunk>(StreamId.Create(RolloutsNames.TrajectoryNamespace, experiment));
        var a0 = Chunk(experiment, "a", 0);
        await stream.OnNextAsync(a0);
        await stream.OnNextAsync(Chunk(experiment, "a", 1));
        await stream.OnNextAsync(a0); // a redelivery
        await stream.OnNextAsync(Chunk(experiment, "b", 0));
        await stream.OnNextAsync(Chunk(experiment, "b", 0));

        var learner = fixture.Cluster.GrainFactory.GetGrain<ILearnerGrain>(experiment);
        await TestConfigs.WaitUntil(async () =>
        {
            var p = await learner.GetProgress();
            return p.ChunksIngested + p.ChunksDuplicate == 5;
        }, "five deliveries reach the learner");
        var progress = await learner.GetProgress();
        Assert.Equal(3, progress.ChunksIngested);
        Assert.Equal(2, progress.ChunksDuplicate);
    }
}
