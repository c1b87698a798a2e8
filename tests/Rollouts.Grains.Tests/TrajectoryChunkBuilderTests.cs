namespace Rollouts.Grains.Tests;

public class TrajectoryChunkBuilderTests
{
    [Fact]
    public void Rows_are_step_major_and_the_chunk_carries_everything_recorded()
    {
        var builder = new TrajectoryChunkBuilder(envs: 2, steps: 3);
        for (int t = 0; t < 3; t++)
        for (int i = 0; i < 2; i++)
        {
            var output = new PolicyOutput([10 * t + i], LogProb: -t - i, Value: t + 0.5f * i, PlanTokens: i);
            builder.RecordDecision(t, i, [100 + 10 * t + i], output, action: t + i, policyVersion: 7);
            builder.RecordOutcome(t, i, reward: t * 2 + i, done: t == 2 && i == 1);
        }
        var chunk = builder.Build("exp", "actor-1", sequence: 4, policyVersion: 7, bootstrapValues: [1f, 2f], fromTeacher: true);

        Assert.Equal((2, 3, 4L, true), (chunk.Envs, chunk.Steps, chunk.Sequence, chunk.FromTeacher));
        // Row t * envs + i: step 1 of env 1 is row 3.
        Assert.Equal(111, chunk.PromptTokens[3][0]);
        Assert.Equal(11, chunk.OutputTokens[3][0]);
        Assert.Equal(-2f, chunk.LogProbs[3]);
        Assert.Equal(3f, chunk.Rewards[3]);
        Assert.Equal(2, chunk.Actions[3]);
        Assert.Equal(1, chunk.PlanTokens[3]);
        Assert.Equal(new[] { false, false, false, false, false, true }, chunk.Dones);
        Assert.All(chunk.StepVersions, v => Assert.Equal(7, v));
        Assert.Equal(new[] { 1f, 2f }, chunk.BootstrapValues);
    }

    [Fact]
    public void Bootstrap_values_must_cover_every_env()
    {
        var builder = new TrajectoryChunkBuilder(envs: 3, steps: 1);
        Assert.Throws<ArgumentException>(() => builder.Build("exp", "a", 0, 1, [0f]));
    }
}
