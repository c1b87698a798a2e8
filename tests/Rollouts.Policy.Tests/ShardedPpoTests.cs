using static Rollouts.Policy.Tests.TestVocab;
using static TorchSharp.torch;

namespace Rollouts.Policy.Tests;

/// <summary>PPO minibatches split over model copies on threads of their own give the same update as whole minibatches.</summary>
public sealed class ShardedPpoTests
{
    private static float[] Weights(PolicyModel model) =>
        model.NamedTensors().SelectMany(t => t.Tensor.detach().cpu().data<float>().ToArray()).ToArray();

    // Seven samples (minibatches of 5 and 2 after shuffling), outputs and prompts of different lengths, advantages of both
    // signs and sizes (so that normalising per shard instead of per minibatch would change the update), old log-probs
    // a little off the current ones (so that ratios and clipping are not trivial).
    private static PpoBatch Batch(PolicyModel model, OutputGrammar g)
    {
        int[][] prompts = [Prompt(16, 17), Prompt(18), Prompt(16, 19, 20), Prompt(21), Prompt(17, 17, 22, 23), Prompt(20), Prompt(19, 16)];
        int[][] outputs =
        [
            [Plan, 9, PlanEnd, Act, 13], [Act, 15], [Plan, 10, 11, PlanEnd, Act, 14], [Act, 13],
            [Act, 14], [Plan, 12, PlanEnd, Act, 15], [Act, 13],
        ];
        float[] old;
        using (no_grad())
        using (var s = PolicyScorer.Score(model, g, prompts, outputs)) old = s.SumLogProbs.data<float>().ToArray();
        for (int i = 0; i < old.Length; i++) old[i] += i % 2 == 0 ? 0.3f : -0.25f;
        return new PpoBatch(prompts, outputs, old, [0.1f, -0.2f, 0.3f, 0f, 0.5f, -0.1f, 0.2f],
            [2f, -1f, 0.5f, -3f, 1f, 0.2f, -0.7f], [1.5f, -0.5f, 0.4f, -2f, 1.2f, 0f, -1f]);
    }

    [Theory]
    [InlineData(2, 0.0)]
    [InlineData(3, 0.0)]
    [InlineData(2, 0.1)] // with the KL penalty: every shard scores its part under its own copy of the reference
    public void ShardedUpdatesMatchWholeMinibatchUpdates(int shards, double klCoef)
    {
        var g = Grammar();
        using var wholeModel = TinyModel(seed: 4);
        using var shardedModel = TinyModel(seed: 4);
        using var wholeReference = TinyModel(seed: 6);
        using var shardedReference = TinyModel(seed: 6);
        var options = new PpoOptions { UpdateEpochs = 2, MinibatchSize = 5, KlCoef = klCoef, Optimizer = new OptimizerOptions(LearningRate: 3e-3, WeightDecay: 0) };
        var batch = Batch(wholeModel, g);
        using var whole = new PpoTrainer(wholeModel, g, options, klCoef > 0 ? wholeReference : null);
        using var sharded = new PpoTrainer(shardedModel, g, options, klCoef > 0 ? shardedReference : null, shards: shards);
        Assert.Equal(shards, sharded.Shards);
        for (int update = 0; update < 2; update++)
        {
            var a = whole.Update(batch);
            var b = sharded.Update(batch);
            Assert.Equal(a.Minibatches, b.Minibatches);
            Assert.Equal(a.PgLoss, b.PgLoss, 4);
            Assert.Equal(a.VLoss, b.VLoss, 4);
            Assert.Equal(a.Entropy, b.Entropy, 4);
            Assert.Equal(a.KlRef, b.KlRef, 4);
            Assert.Equal(a.ApproxKl, b.ApproxKl, 4);
            Assert.Equal(a.ClipFrac, b.ClipFrac, 4);
        }
        var last = whole.Update(batch);
        sharded.Update(batch);
        if (klCoef > 0) Assert.True(last.KlRef > 0); // the penalty was in play, not 0 throughout
        var expected = Weights(wholeModel);
        var actual = Weights(shardedModel);
        double worst = expected.Zip(actual, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(worst < 1e-4, $"largest weight difference after 3 updates: {worst}");
        using var untouched = TinyModel(seed: 4);
        Assert.True(Weights(untouched).Zip(actual, (x, y) => Math.Abs(x - y)).Max() > 1e-3);
    }

    [Fact]
    public void AnOutputOffTheGrammarInAnyShardIsTheArgumentErrorAndLeavesTheWeights()
    {
        var g = Grammar();
        using var model = TinyModel(seed: 4);
        var batch = Batch(model, g);
        var outputs = batch.Outputs.ToArray();
        outputs[5] = [Act, 9]; // a plan word where an action must be
        using var trainer = new PpoTrainer(model, g, new PpoOptions { UpdateEpochs = 1, MinibatchSize = 7 }, shards: 2);
        var before = Weights(model);
        Assert.Throws<ArgumentException>(() => trainer.Update(batch with { Outputs = outputs }));
        Assert.Equal(before, Weights(model));
        Assert.Equal(0, trainer.Step);
        Assert.Throws<ArgumentException>(() => new PpoTrainer(model, g, shards: 0));
    }
}
