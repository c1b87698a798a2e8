using TorchSharp;
using static TorchSharp.torch;

namespace Rollouts.Policy.Tests;

/// <summary>
/// The policy code hands libtorch no scalar that a collection on another thread could free mid-call (see
/// <see cref="HeldScalars"/>; <see cref="ShardedUpdatesUnderGcTests"/> shows the crash it prevents).
/// </summary>
public sealed class HeldScalarsTests
{
    [Fact]
    public void PolicyCodePassesNoTemporaryScalars()
    {
        var found = TemporaryScalarScan.Find(typeof(PolicyModel).Assembly.GetTypes());
        Assert.True(found.Count == 0, "temporary TorchSharp scalars:\n" + string.Join("\n", found));
    }

    [Fact]
    public void TheScanFindsTemporariesAndPassesHeldScalars()
    {
        var found = TemporaryScalarScan.Find([typeof(Samples)]);
        Assert.Contains(found, f => f.Contains("::Sum: ", StringComparison.Ordinal));
        Assert.Contains(found, f => f.Contains("::Scaled: ", StringComparison.Ordinal));
        Assert.Contains(found, f => f.Contains("::Clamped: a temporary", StringComparison.Ordinal));
        Assert.Contains(found, f => f.Contains("::NamedButNotDisposed: a temporary", StringComparison.Ordinal));
        Assert.DoesNotContain(found, f => f.Contains("::Held", StringComparison.Ordinal));
        Assert.Equal(4, found.Count);
    }

    // What the scan must and must not report.
    private static class Samples
    {
        public static Tensor Sum(Tensor a, Tensor b) => a + b; // Tensor.add(Tensor) passes a temporary alpha of 1
        public static Tensor Scaled(Tensor a) => a * 0.5;
        public static Tensor Clamped(Tensor a) => a.clamp_max(3);
        public static Tensor NamedButNotDisposed(Tensor a)
        {
            Scalar s = 2.0; // the JIT may treat s as dead once its handle is read
            return a.mul(s);
        }
        public static Tensor Held(Tensor a, double x)
        {
            using Scalar s = x;
            return a.mul(s).add(a, HeldScalars.One);
        }
        public static Tensor HeldStatic(Tensor a) => a.mul(HeldScalars.Half);
    }
}
