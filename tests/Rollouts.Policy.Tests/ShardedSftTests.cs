using static Rollouts.Policy.Tests.TestVocab;

namespace Rollouts.Policy.Tests;

/// <summary>SFT batches split over model copies on threads of their own take the same steps as the whole batch on one.</summary>
public sealed class ShardedSftTests
{
    // Outputs of different lengths and prompts of different lengths, so that the shards differ in size and in tokens.
    private static readonly int[][] Prompts =
        [Prompt(16, 20), Prompt(17, 21, 22), Prompt(16, 22), Prompt(17, 23, 20, 21), Prompt(16, 21), Prompt(17, 20, 23)];
    private static readonly int[][] Outputs =
    [
        [Plan, 9, 10, PlanEnd, Act, 13],
        [Act, 14],
        [Plan, 9, PlanEnd, Act, 13],
        [Act, 14],
        [Plan, 10, 9, 10, PlanEnd, Act, 13],
        [Act, 13],
    ];

    private static float[] Weights(PolicyModel model) =>
        model.NamedTensors().SelectMany(t => t.Tensor.detach().cpu().data<float>().ToArray()).ToArray();

    [Theory]
    [InlineData(2, 1.0)]
    [InlineData(3, 1.0)]
    [InlineData(2, 4.0)] // emphasised targets: the shards must divide by the whole batch's weight, not their own
    public void ShardedStepsMatchWholeBatchSteps(int shards, double emphasis)
    {
        var weighting = emphasis == 1.0 ? null : new TargetEmphasis([13, 14], emphasis);
        using var wholeModel = TinyModel(seed: 5);
        using var shardedModel = TinyModel(seed: 5);
        using var whole = new SftTrainer(wholeModel, Pad, new OptimizerOptions(LearningRate: 1e-2), weighting);
        using var sharded = new SftTrainer(shardedModel, Pad, new OptimizerOptions(LearningRate: 1e-2), weighting, shards: shards);
        Assert.Equal(shards, sharded.Shards);
        for (int step = 0; step < 5; step++)
        {
            var a = whole.TrainStep(Prompts, Outputs);
            var b = sharded.TrainStep(Prompts, Outputs);
            Assert.Equal(a.Loss, b.Loss, 4);
            Assert.Equal(a.GradNorm, b.GradNorm, 4);
            Assert.Equal(a.OutputTokens, b.OutputTokens);
        }
        var expected = Weights(wholeModel);
        var actual = Weights(shardedModel);
        Assert.Equal(expected.Length, actual.Length);
        double worst = expected.Zip(actual, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(worst < 1e-4, $"largest weight difference after 5 steps: {worst}");
        // ...and the steps moved the weights (a trainer that did nothing would also "match" an untouched copy).
        using var untouched = TinyModel(seed: 5);
        Assert.True(Weights(untouched).Zip(actual, (x, y) => Math.Abs(x - y)).Max() > 1e-3);
    }

    [Fact]
    public void StepsThatSwitchBetweenWholeAndShardedMatchWholeSteps()
    {
        // ShardWhenFaster: whole steps first, then a trial alternating the two, then whichever was faster.
        using var wholeModel = TinyModel(seed: 5);
        using var mixedModel = TinyModel(seed: 5);
        using var whole = new SftTrainer(wholeModel, Pad, new OptimizerOptions(LearningRate: 1e-2));
        using var mixed = new SftTrainer(mixedModel, Pad, new OptimizerOptions(LearningRate: 1e-2), shards: 2) { ShardWhenFaster = true };
        int steps = ShardingChoice.WarmupSteps + ShardingChoice.TrialSteps + 4;
        for (int step = 0; step < steps; step++)
            Assert.Equal(whole.TrainStep(Prompts, Outputs).Loss, mixed.TrainStep(Prompts, Outputs).Loss, 3);
        Assert.InRange(mixed.ShardedSteps, ShardingChoice.TrialSteps / 2, ShardingChoice.TrialSteps / 2 + 4);
        double worst = Weights(wholeModel).Zip(Weights(mixedModel), (x, y) => Math.Abs(x - y)).Max();
        Assert.True(worst < 1e-3, $"largest weight difference after {steps} steps: {worst}");
    }

    [Fact]
    public void ReplicasFollowWeightsChangedOutsideTheTrainer()
    {
        // A checkpoint loaded or an average swapped in between steps changes the model under the trainer.
        using var source = TinyModel(seed: 9);
        using var wholeModel = TinyModel(seed: 5);
        using var shardedModel = TinyModel(seed: 5);
        using var whole = new SftTrainer(wholeModel, Pad, new OptimizerOptions(LearningRate: 1e-2));
        using var sharded = new SftTrainer(shardedModel, Pad, new OptimizerOptions(LearningRate: 1e-2), shards: 2);
        whole.TrainStep(Prompts, Outputs);
        sharded.TrainStep(Prompts, Outputs);
        wholeModel.CopyWeightsFrom(source);
        shardedModel.CopyWeightsFrom(source);
        Assert.Equal(whole.TrainStep(Prompts, Outputs).Loss, sharded.TrainStep(Prompts, Outputs).Loss, 4);
    }

    [Fact]
    public void BatchesSmallerThanTheShardCountRunWhole()
    {
        using var model = TinyModel(seed: 5);
        using var sharded = new SftTrainer(model, Pad, shards: 4);
        var stats = sharded.TrainStep(Prompts[..2], Outputs[..2]);
        Assert.True(float.IsFinite(stats.Loss));
        Assert.Equal(Outputs[0].Length + Outputs[1].Length, stats.OutputTokens);
    }

    [Fact]
    public void BadInputInAnyShardIsTheArgumentErrorOfTheWholeBatchAndLeavesTheWeights()
    {
        using var model = TinyModel(seed: 5);
        using var sharded = new SftTrainer(model, Pad, shards: 2);
        var before = Weights(model);
        var outputs = Outputs.ToArray();
        outputs[3] = [Act, 9999]; // not in the vocabulary
        var e = Assert.Throws<ArgumentException>(() => sharded.TrainStep(Prompts, outputs));
        Assert.Contains("9999", e.Message);
        Assert.Equal(before, Weights(model));
        Assert.Equal(0, sharded.Step);
        // The trainer still works afterwards.
        Assert.True(float.IsFinite(sharded.TrainStep(Prompts, Outputs).Loss));
        Assert.Throws<ArgumentException>(() => new SftTrainer(model, Pad, shards: 0));
    }

    [Fact]
    public void BalanceKeepsEveryItemOnceAndEvensTheSizes()
    {
        int[] sizes = [5, 31, 12, 40, 7, 7, 22, 3, 19];
        var groups = GradientShards.Balance(sizes.Length, i => sizes[i], 3);
        Assert.Equal(3, groups.Length);
        Assert.Equal(Enumerable.Range(0, sizes.Length), groups.SelectMany(g => g).Order());
        var load = groups.Select(g => g.Sum(i => sizes[i])).ToArray();
        // Greedy largest-first: no group exceeds another by more than the largest item.
        Assert.True(load.Max() - load.Min() <= sizes.Max(), $"sizes per group: {string.Join(", ", load)}");
        Assert.All(groups, g => Assert.NotEmpty(g));
    }
}
