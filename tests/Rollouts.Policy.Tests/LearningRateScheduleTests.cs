using static Rollouts.Policy.Tests.TestVocab;

namespace Rollouts.Policy.Tests;

public sealed class LearningRateScheduleTests
{
    [Theory]
    [InlineData(0.0, 0.25, 1.0)]
    [InlineData(0.75, 0.25, 1.0)]      // the tail starts here
    [InlineData(0.8125, 0.25, 0.75)]
    [InlineData(0.875, 0.25, 0.5)]
    [InlineData(0.99, 0.25, 0.04)]
    [InlineData(1.0, 0.25, 0.0)]
    [InlineData(1.7, 0.25, 0.0)]       // past the end (a time budget overrun): still 0
    [InlineData(0.5, 1.0, 0.5)]        // share 1: linear from the start
    [InlineData(0.3, 0.0, 1.0)]        // share 0: constant
    [InlineData(1.3, 0.0, 1.0)]
    public void The_rate_is_constant_then_falls_linearly_to_zero_over_the_last_share(double progress, double share, double expected) =>
        Assert.Equal(expected, LearningRateSchedule.DecayingTail(progress, share), 12);

    [Theory]
    [InlineData(-0.1, 0.25)]
    [InlineData(double.NaN, 0.25)]
    [InlineData(0.5, -0.1)]
    [InlineData(0.5, 1.1)]
    [InlineData(0.5, double.NaN)]
    public void Progress_or_share_out_of_range_is_refused(double progress, double share) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.DecayingTail(progress, share));

    private static readonly int[][] Prompts = [Prompt(16, 20), Prompt(17, 21)];
    private static readonly int[][] Outputs = [[Plan, 9, 10, PlanEnd, Act, 13], [Act, 14]];

    private static float[] Flat(PolicyModel model) =>
        model.NamedTensors().SelectMany(p => p.Tensor.detach().data<float>().ToArray()).ToArray();

    [Fact]
    public void The_scale_multiplies_the_learning_rate_AdamW_steps_with()
    {
        // lr 0.002 at scale 0.5 must train exactly like lr 0.001 at scale 1 (same seed, same batches).
        using var scaledModel = TinyModel(seed: 3);
        using var plainModel = TinyModel(seed: 3);
        using var scaled = new SftTrainer(scaledModel, Pad, new OptimizerOptions(LearningRate: 0.002)) { LearningRateScale = 0.5 };
        using var plain = new SftTrainer(plainModel, Pad, new OptimizerOptions(LearningRate: 0.001));
        for (int i = 0; i < 3; i++)
        {
            scaled.TrainStep(Prompts, Outputs);
            plain.TrainStep(Prompts, Outputs);
        }
        Assert.Equal(0.5, scaled.LearningRateScale);
        Assert.Equal(Flat(plainModel), Flat(scaledModel));

        // At scale 0 a step changes nothing (AdamW's weight decay is scaled by the rate too); back at 1 it does.
        var before = Flat(scaledModel);
        scaled.LearningRateScale = 0;
        scaled.TrainStep(Prompts, Outputs);
        Assert.Equal(before, Flat(scaledModel));
        scaled.LearningRateScale = 1;
        scaled.TrainStep(Prompts, Outputs);
        Assert.NotEqual(before, Flat(scaledModel));
        Assert.Throws<ArgumentException>(() => scaled.LearningRateScale = -1);
        Assert.Throws<ArgumentException>(() => scaled.LearningRateScale = double.NaN);
    }
}
