namespace Rollouts.Crafter.Engine;

/// <summary>
/// numpy's legacy <c>RandomState</c> (MT19937 with the scalar <c>init_genrand</c> seeding), reduced to the
/// calls Crafter makes. Every draw must consume exactly the 32-bit words numpy consumes, so the generator's
/// position can be compared with the reference after each step.
/// </summary>
public sealed class NumpyRandomState
{
    private const int StateLength = 624;
    private const int Period = 397;
    private const uint MatrixA = 0x9908b0df;
    private const uint UpperMask = 0x80000000;
    private const uint LowerMask = 0x7fffffff;

    private readonly uint[] _key = new uint[StateLength];
    private int _pos;

    public NumpyRandomState(uint seed) => Seed(seed);

    /// <summary>Index of the next state word (0..624), as numpy's <c>get_state()[2]</c>.</summary>
    public int Position => _pos;

    /// <summary>The untempered state word at <see cref="Position"/>, or -1 when the position is 624.</summary>
    public long WordAtPosition => _pos < StateLength ? _key[_pos] : -1;

    public void Seed(uint seed)
    {
        _key[0] = seed;
        for (int i = 1; i < StateLength; i++)
            _key[i] = 1812433253u * (_key[i - 1] ^ (_key[i - 1] >> 30)) + (uint)i;
        _pos = StateLength;
    }

    public uint NextUInt32()
    {
        if (_pos == StateLength) Regenerate();
        uint y = _key[_pos++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >> 18;
        return y;
    }

    /// <summary><c>random_sample()</c> / <c>uniform()</c>: 53-bit double from two 32-bit words.</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5;
        uint b = NextUInt32() >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    /// <summary><c>uniform(low, high)</c>.</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>
    /// <c>randint(0, high)</c> with numpy's legacy masked rejection sampling (int64 dtype, bound below 2^32).
    /// A range of one value returns 0 without drawing.
    /// </summary>
    public int RandInt(int high)
    {
        if (high <= 0) throw new ArgumentOutOfRangeException(nameof(high), high, "randint needs high > 0.");
        uint range = (uint)(high - 1);
        if (range == 0) return 0;
        uint mask = range;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint value;
        do value = NextUInt32() & mask; while (value > range);
        return (int)value;
    }

    /// <summary>Advances the generator as <c>uniform(low, high, count)</c> would, without keeping the values.</summary>
    public void SkipDoubles(int count)
    {
        for (int i = 0; i < count; i++)
        {
            NextUInt32();
            NextUInt32();
        }
    }

    private void Regenerate()
    {
        uint[] mt = _key;
        int i = 0;
        uint y;
        for (; i < StateLength - Period; i++)
        {
            y = (mt[i] & UpperMask) | (mt[i + 1] & LowerMask);
            mt[i] = mt[i + Period] ^ (y >> 1) ^ ((uint)-(int)(y & 1) & MatrixA);
        }
        for (; i < StateLength - 1; i++)
        {
            y = (mt[i] & UpperMask) | (mt[i + 1] & LowerMask);
            mt[i] = mt[i + (Period - StateLength)] ^ (y >> 1) ^ ((uint)-(int)(y & 1) & MatrixA);
        }
        y = (mt[StateLength - 1] & UpperMask) | (mt[0] & LowerMask);
        mt[StateLength - 1] = mt[Period - 1] ^ (y >> 1) ^ ((uint)-(int)(y & 1) & MatrixA);
        _pos = 0;
    }
}
