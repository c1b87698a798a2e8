namespace Rollouts.Policy;

/// <summary>
/// Counter-based uniforms for sampling: the draw for one decision's j-th output token is a pure function of the
/// decision's key and j. A decision keyed by its episode and step is then sampled the same whatever else shares its
/// batch, in whatever order and on whatever thread, so an evaluation gives the same numbers in <c>rollouts train</c>,
/// in <c>rollouts eval</c> and with any parallelism (a shared generator hands out its draws in batch order).
/// </summary>
public static class SampleStream
{
    /// <summary>The key of the decision at <paramref name="step"/> of the episode played on env seed <paramref name="envSeed"/>.</summary>
    public static ulong DecisionKey(long envSeed, int step) =>
        Mix(Mix((ulong)envSeed ^ 0x5DEECE66DUL) + (ulong)(uint)step * 0x9E3779B97F4A7C15UL);

    /// <summary>A uniform in [0, 1) for output token <paramref name="token"/> of the decision <paramref name="key"/>:
    /// 24 random bits, so every value is exact in float32 and below 1.</summary>
    public static float Uniform(ulong key, int token) =>
        (Mix(key + ((ulong)(uint)token + 1) * 0xD1B54A32D192ED03UL) >> 40) * (1f / (1 << 24));

    // SplitMix64's output function: a bijection on 64 bits whose outputs pass statistical tests for consecutive inputs.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
