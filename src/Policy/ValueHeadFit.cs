using TorchSharp;
using static TorchSharp.torch;

namespace Rollouts.Policy;

/// <summary>
/// Ridge regression of returns on the value head's input features (the final hidden state at the last prompt token),
/// accumulated over batches as normal equations in float64: PPO's value warm-up fits the linear value head exactly
/// on the SFT policy's own rollouts instead of starting the policy gradient on an untrained head.
/// </summary>
public sealed class ValueHeadFit : IDisposable
{
    private readonly int _features;
    private readonly Tensor _xtx; // [D+1, D+1], the last column/row is the bias
    private readonly Tensor _xty; // [D+1]

    /// <param name="features">The width of the features (the model's d_model).</param>
    /// <param name="ridge">The ridge penalty per sample on the weights (not the bias): scale-free in the number of samples.</param>
    public ValueHeadFit(int features, double ridge = 1e-3)
    {
        if (features <= 0) throw new ArgumentException($"features must be positive, got {features}.");
        if (!(ridge >= 0) || double.IsInfinity(ridge)) throw new ArgumentException($"ridge must be >= 0 and finite, got {ridge}.");
        _features = features;
        Ridge = ridge;
        _xtx = zeros(features + 1, features + 1, dtype: ScalarType.Float64).DetachFromDisposeScope();
        _xty = zeros(features + 1, dtype: ScalarType.Float64).DetachFromDisposeScope();
    }

    public double Ridge { get; }

    /// <summary>Samples added so far.</summary>
    public long Count { get; private set; }

    /// <summary>Adds samples: <paramref name="features"/> [N, D] (any device) and their targets.</summary>
    public void Add(Tensor features, ReadOnlySpan<float> returns)
    {
        if (features.dim() != 2 || features.shape[1] != _features)
            throw new ArgumentException($"features must be [N, {_features}], got [{string.Join(", ", features.shape)}].");
        if (features.shape[0] != returns.Length)
            throw new ArgumentException($"{features.shape[0]} feature rows but {returns.Length} returns.");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = cat(new[] { features.to(ScalarType.Float64, CPU), ones(features.shape[0], 1, dtype: ScalarType.Float64) }, 1);
        var y = tensor(returns.ToArray(), dtype: ScalarType.Float32).to(ScalarType.Float64);
        _xtx.add_(x.t().matmul(x), HeldScalars.One);
        _xty.add_(x.t().matmul(y), HeldScalars.One);
        Count += returns.Length;
    }

    /// <summary>The weights [D] and bias minimising the squared error plus Ridge·Count·|w|² over everything added.</summary>
    public (float[] Weight, float Bias) Solve()
    {
        if (Count == 0) throw new InvalidOperationException("no samples to fit the value head on.");
        using var scope = NewDisposeScope();
        using Scalar ridge = Ridge * Count; // held through the call (HeldScalars)
        var penalty = eye(_features + 1, dtype: ScalarType.Float64).mul_(ridge);
        penalty[_features, _features] = tensor(1e-9 * Count, dtype: ScalarType.Float64); // the bias is not shrunk
        var solution = linalg.solve(_xtx.add(penalty, HeldScalars.One), _xty.unsqueeze(1)).squeeze(1).to(ScalarType.Float32);
        var all = solution.data<float>().ToArray();
        return (all[.._features], all[_features]);
    }

    public void Dispose()
    {
        _xtx.Dispose();
        _xty.Dispose();
    }
}
