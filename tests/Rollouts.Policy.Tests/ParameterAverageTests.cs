using static Rollouts.Policy.Tests.TestVocab;
using static TorchSharp.torch;

namespace Rollouts.Policy.Tests;

public sealed class ParameterAverageTests
{
    private static float[] Flat(PolicyModel model) =>
        model.NamedTensors().SelectMany(p => p.Tensor.detach().cpu().data<float>().ToArray()).ToArray();

    private static void AddToEveryParameter(PolicyModel model, double amount)
    {
        using var _ = no_grad();
        foreach (var (_, t) in model.NamedTensors()) t.add_(amount);
    }

    [Fact]
    public void TheAverageFollowsTheWarmedUpDecayAndSwapsWithTheModel()
    {
        using var model = TinyModel(seed: 4);
        float[] start = Flat(model);
        using var average = new ParameterAverage(model, decay: 0.15);
        Assert.Equal(0.1, average.NextDecay, 12); // (1 + 0) / (10 + 0): the first update mostly takes the new weights

        AddToEveryParameter(model, 1.0); // θ1 = θ0 + 1
        average.Update();                 // avg = 0.1·θ0 + 0.9·θ1 = θ0 + 0.9
        Assert.Equal(0.15, average.NextDecay, 12); // min(0.15, 2 / 11)
        AddToEveryParameter(model, 2.0); // θ2 = θ0 + 3
        average.Update();                 // avg = 0.15·(θ0 + 0.9) + 0.85·(θ0 + 3) = θ0 + 2.685
        Assert.Equal(2, average.Updates);

        average.Swap();
        float[] averaged = Flat(model);
        for (int i = 0; i < start.Length; i++) Assert.True(Math.Abs(start[i] + 2.685 - averaged[i]) < 1e-5, $"{i}: {averaged[i]} vs {start[i] + 2.685}");

        average.Swap(); // back to the trained weights
        float[] trained = Flat(model);
        for (int i = 0; i < start.Length; i++) Assert.True(Math.Abs(start[i] + 3.0 - trained[i]) < 1e-5, $"{i}: {trained[i]} vs {start[i] + 3.0}");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.5)]
    public void ADecayOutsideTheOpenUnitIntervalIsRefused(double decay)
    {
        using var model = TinyModel();
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParameterAverage(model, decay));
    }
}
