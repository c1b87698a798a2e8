using TorchSharp;
using static TorchSharp.torch;

namespace Rollouts.Policy;

/// <summary>
/// An exponential moving average of a model's parameters (Polyak averaging): after each optimizer step
/// <c>avg ← d·avg + (1 − d)·θ</c> with <c>d = min(decay, (1 + n) / (10 + n))</c> at the n-th update, so that a short run is
/// not dominated by the initial weights. At a constant learning rate the last weights are one noisy point of where
/// training wanders; the average over the last ~1/(1 − decay) steps plays better (README, "sft.average_decay").
/// </summary>
public sealed class ParameterAverage : IDisposable
{
    private readonly Tensor[] parameters; // the model's own tensors (updated in place by the optimizer)
    private readonly Tensor[] averages;

    public ParameterAverage(PolicyModel model, double decay)
    {
        if (decay is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(decay), decay, "the averaging decay must be in (0, 1).");
        Decay = decay;
        using var _ = no_grad();
        parameters = model.NamedTensors().Select(p => p.Tensor).ToArray();
        averages = parameters.Select(p => p.detach().clone()).ToArray();
    }

    /// <summary>The decay once warmed up.</summary>
    public double Decay { get; }

    /// <summary>Updates folded in so far.</summary>
    public long Updates { get; private set; }

    /// <summary>The decay the next <see cref="Update"/> uses.</summary>
    public double NextDecay => Math.Min(Decay, (1.0 + Updates) / (10.0 + Updates));

    /// <summary>Folds the model's current parameters into the average (call after each optimizer step).</summary>
    public void Update()
    {
        double d = NextDecay;
        using var _ = no_grad();
        using Scalar decay = d, rest = 1 - d; // held through every call (HeldScalars): learners run beside decoders
        for (int i = 0; i < averages.Length; i++)
            averages[i].mul_(decay).add_(parameters[i], alpha: rest);
        Updates++;
    }

    /// <summary>
    /// Exchanges the model's parameters and the average: afterwards the model holds the average and this object the
    /// weights the model had. A second call undoes the first (so training can go on from where it was).
    /// </summary>
    public void Swap()
    {
        using var _ = no_grad();
        for (int i = 0; i < averages.Length; i++)
        {
            using var held = parameters[i].clone();
            parameters[i].copy_(averages[i]);
            averages[i].copy_(held);
        }
    }

    public void Dispose()
    {
        foreach (var t in averages) t.Dispose();
    }
}
