namespace Rollouts.Crafter.Engine;

/// <summary>CPython 3.8+ hashing needed to derive Crafter's world seed from <c>hash((seed, episode))</c>.</summary>
public static class PythonHash
{
    private const ulong XxPrime1 = 11400714785074694791UL;
    private const ulong XxPrime2 = 14029467366897019727UL;
    private const ulong XxPrime5 = 2870177450012600261UL;
    private const ulong Modulus = (1UL << 61) - 1;

    /// <summary>Hash of a Python int (non-negative values only are needed here).</summary>
    public static long HashInt(long value)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), "Only non-negative ints are supported.");
        long h = (long)((ulong)value % Modulus);
        return h == -1 ? -2 : h;
    }

    /// <summary>Hash of a 2-tuple of non-negative ints, as CPython's xxHash-based tuplehash.</summary>
    public static long HashTuple(long a, long b)
    {
        ulong acc = XxPrime5;
        acc = Lane(acc, (ulong)HashInt(a));
        acc = Lane(acc, (ulong)HashInt(b));
        acc += 2UL ^ (XxPrime5 ^ 3527539UL);
        return acc == ulong.MaxValue ? 1546275796L : (long)acc;
    }

    /// <summary>The world generator's seed Crafter uses for an episode: <c>hash((seed, episode)) % (2**31 - 1)</c>.</summary>
    public static uint WorldSeed(long seed, long episode)
    {
        const long m = (1L << 31) - 1;
        long h = HashTuple(seed, episode);
        long r = h % m;
        if (r < 0) r += m;
        return (uint)r;
    }

    private static ulong Lane(ulong acc, ulong lane)
    {
        acc += lane * XxPrime2;
        acc = (acc << 31) | (acc >> 33);
        return acc * XxPrime1;
    }
}
