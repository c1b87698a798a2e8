using System.Buffers.Binary;

namespace Rollouts.Crafter.Engine;

/// <summary>
/// Crafter's day cycle: <c>1 - |cos(pi * ((step / 300) % 1 + 0.3))| ** 3</c>.
/// </summary>
/// <remarks>
/// numpy 1.24 evaluates <c>np.cos</c> with its SIMD (SVML) kernel on AVX-512 machines, which differs from a
/// correctly rounded cosine, and from <c>Math.Cos</c>, in the last bits for about 45% of the steps. The values numpy
/// gives for steps 0..<see cref="TableSteps"/> are therefore embedded (written by <c>tools/daylight_table.py</c>);
/// later steps are computed and may differ from numpy by a few ulps. No rule depends on those bits: every value of
/// the cycle is at least 4e-4 away from the thresholds where Crafter's decisions change.
/// </remarks>
public static class Daylight
{
    /// <summary>The last step whose daylight is numpy's exact value.</summary>
    public const int TableSteps = 10000;

    private static readonly double[] Table = LoadTable();

    public static double AtStep(int step) => (uint)step <= TableSteps ? Table[step] : Compute(step);

    /// <summary>The formula in IEEE double arithmetic with the platform's cosine.</summary>
    public static double Compute(int step)
    {
        double progress = step / 300.0 % 1 + 0.3;
        return 1 - Math.Pow(Math.Abs(Math.Cos(Math.PI * progress)), 3);
    }

    private static double[] LoadTable()
    {
        using var stream = typeof(Daylight).Assembly.GetManifestResourceStream("Rollouts.Crafter.Engine.daylight-numpy.bin")
            ?? throw new InvalidOperationException("The embedded daylight table is missing from Rollouts.Crafter.");
        var bytes = new byte[(TableSteps + 1) * sizeof(double)];
        stream.ReadExactly(bytes);
        var table = new double[TableSteps + 1];
        for (int i = 0; i < table.Length; i++) table[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(i * 8));
        return table;
    }
}
