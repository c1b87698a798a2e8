namespace Rollouts.Crafter.Generation;

/// <summary>
/// 3-D OpenSimplex noise exactly as the <c>opensimplex</c> 0.4.x package computes it in pure Python:
/// float64 arithmetic in the same order (no fused multiply-add), the same permutation and gradient tables.
/// </summary>
public sealed class OpenSimplexNoise
{
    private const double Stretch = -1.0 / 6;
    private const double Squish = 1.0 / 3;
    private const double Norm = 103;

    // Directions to the vertices of a rhombicuboctahedron, skewed (Kurt Spencer's table).
    private static readonly sbyte[] Gradients =
    [
        -11, 4, 4, -4, 11, 4, -4, 4, 11,
        11, 4, 4, 4, 11, 4, 4, 4, 11,
        -11, -4, 4, -4, -11, 4, -4, -4, 11,
        11, -4, 4, 4, -11, 4, 4, -4, 11,
        -11, 4, -4, -4, 11, -4, -4, 4, -11,
        11, 4, -4, 4, 11, -4, 4, 4, -11,
        -11, -4, -4, -4, -11, -4, -4, -4, -11,
        11, -4, -4, 4, -11, -4, 4, -4, -11,
    ];

    private readonly short[] _perm = new short[256];
    private readonly short[] _gradIndex = new short[256];

    public OpenSimplexNoise(long seed)
    {
        const ulong mul = 6364136223846793005UL;
        const ulong inc = 1442695040888963407UL;
        Span<short> source = stackalloc short[256];
        for (short i = 0; i < 256; i++) source[i] = i;
        ulong s = (ulong)seed;
        for (int k = 0; k < 3; k++) s = unchecked(s * mul + inc);
        for (int i = 255; i >= 0; i--)
        {
            s = unchecked(s * mul + inc);
            // Python adds 31 in arbitrary precision, then takes a non-negative modulo.
            Int128 shifted = (Int128)(long)s + 31;
            int r = (int)(shifted % (i + 1));
            if (r < 0) r += i + 1;
            _perm[i] = source[r];
            _gradIndex[i] = (short)(_perm[i] % 24 * 3);
            source[r] = source[i];
        }
    }

    public double Noise3(double x, double y, double z)
    {
        double stretchOffset = (x + y + z) * Stretch;
        double xs = x + stretchOffset;
        double ys = y + stretchOffset;
        double zs = z + stretchOffset;

        long xsb = (long)Math.Floor(xs);
        long ysb = (long)Math.Floor(ys);
        long zsb = (long)Math.Floor(zs);

        double squishOffset = (xsb + ysb + zsb) * Squish;
        double xb = xsb + squishOffset;
        double yb = ysb + squishOffset;
        double zb = zsb + squishOffset;

        double xins = xs - xsb;
        double yins = ys - ysb;
        double zins = zs - zsb;
        double inSum = xins + yins + zins;

        double dx0 = x - xb;
        double dy0 = y - yb;
        double dz0 = z - zb;

        double value = 0;
        long xsvExt0, ysvExt0, zsvExt0, xsvExt1, ysvExt1, zsvExt1;
        double dxExt0, dyExt0, dzExt0, dxExt1, dyExt1, dzExt1;

        if (inSum <= 1)
        {
            // Inside the tetrahedron at (0,0,0): which two of (0,0,1), (0,1,0), (1,0,0) are closest.
            int aPoint = 0x01;
            double aScore = xins;
            int bPoint = 0x02;
            double bScore = yins;
            if (aScore >= bScore && zins > bScore) { bScore = zins; bPoint = 0x04; }
            else if (aScore < bScore && zins > aScore) { aScore = zins; aPoint = 0x04; }

            double wins = 1 - inSum;
            if (wins > aScore || wins > bScore)
            {
                int c = bScore > aScore ? bPoint : aPoint;
                if ((c & 0x01) == 0) { xsvExt0 = xsb - 1; xsvExt1 = xsb; dxExt0 = dx0 + 1; dxExt1 = dx0; }
                else { xsvExt0 = xsvExt1 = xsb + 1; dxExt0 = dxExt1 = dx0 - 1; }

                if ((c & 0x02) == 0)
                {
                    ysvExt0 = ysvExt1 = ysb;
                    dyExt0 = dyExt1 = dy0;
                    if ((c & 0x01) == 0) { ysvExt1 -= 1; dyExt1 += 1; }
                    else { ysvExt0 -= 1; dyExt0 += 1; }
                }
                else { ysvExt0 = ysvExt1 = ysb + 1; dyExt0 = dyExt1 = dy0 - 1; }

                if ((c & 0x04) == 0) { zsvExt0 = zsb; zsvExt1 = zsb - 1; dzExt0 = dz0; dzExt1 = dz0 + 1; }
                else { zsvExt0 = zsvExt1 = zsb + 1; dzExt0 = dzExt1 = dz0 - 1; }
            }
            else
            {
                int c = aPoint | bPoint;
                if ((c & 0x01) == 0) { xsvExt0 = xsb; xsvExt1 = xsb - 1; dxExt0 = dx0 - 2 * Squish; dxExt1 = dx0 + 1 - Squish; }
                else { xsvExt0 = xsvExt1 = xsb + 1; dxExt0 = dx0 - 1 - 2 * Squish; dxExt1 = dx0 - 1 - Squish; }

                if ((c & 0x02) == 0) { ysvExt0 = ysb; ysvExt1 = ysb - 1; dyExt0 = dy0 - 2 * Squish; dyExt1 = dy0 + 1 - Squish; }
                else { ysvExt0 = ysvExt1 = ysb + 1; dyExt0 = dy0 - 1 - 2 * Squish; dyExt1 = dy0 - 1 - Squish; }

                if ((c & 0x04) == 0) { zsvExt0 = zsb; zsvExt1 = zsb - 1; dzExt0 = dz0 - 2 * Squish; dzExt1 = dz0 + 1 - Squish; }
                else { zsvExt0 = zsvExt1 = zsb + 1; dzExt0 = dz0 - 1 - 2 * Squish; dzExt1 = dz0 - 1 - Squish; }
            }

            value += Contribution(xsb, ysb, zsb, dx0, dy0, dz0);
            double dx1 = dx0 - 1 - Squish;
            double dy1 = dy0 - 0 - Squish;
            double dz1 = dz0 - 0 - Squish;
            value += Contribution(xsb + 1, ysb, zsb, dx1, dy1, dz1);
            double dx2 = dx0 - 0 - Squish;
            double dy2 = dy0 - 1 - Squish;
            double dz2 = dz1;
            value += Contribution(xsb, ysb + 1, zsb, dx2, dy2, dz2);
            double dx3 = dx2;
            double dy3 = dy1;
            double dz3 = dz0 - 1 - Squish;
            value += Contribution(xsb, ysb, zsb + 1, dx3, dy3, dz3);
        }
        else if (inSum >= 2)
        {
            // Inside the tetrahedron at (1,1,1): closest two of (1,1,0), (1,0,1), (0,1,1).
            int aPoint = 0x06;
            double aScore = xins;
            int bPoint = 0x05;
            double bScore = yins;
            if (aScore <= bScore && zins < bScore) { bScore = zins; bPoint = 0x03; }
            else if (aScore > bScore && zins < aScore) { aScore = zins; aPoint = 0x03; }

            double wins = 3 - inSum;
            if (wins < aScore || wins < bScore)
            {
                int c = bScore < aScore ? bPoint : aPoint;
                if ((c & 0x01) != 0) { xsvExt0 = xsb + 2; xsvExt1 = xsb + 1; dxExt0 = dx0 - 2 - 3 * Squish; dxExt1 = dx0 - 1 - 3 * Squish; }
                else { xsvExt0 = xsvExt1 = xsb; dxExt0 = dxExt1 = dx0 - 3 * Squish; }

                if ((c & 0x02) != 0)
                {
                    ysvExt0 = ysvExt1 = ysb + 1;
                    dyExt0 = dyExt1 = dy0 - 1 - 3 * Squish;
                    if ((c & 0x01) != 0) { ysvExt1 += 1; dyExt1 -= 1; }
                    else { ysvExt0 += 1; dyExt0 -= 1; }
                }
                else { ysvExt0 = ysvExt1 = ysb; dyExt0 = dyExt1 = dy0 - 3 * Squish; }

                if ((c & 0x04) != 0) { zsvExt0 = zsb + 1; zsvExt1 = zsb + 2; dzExt0 = dz0 - 1 - 3 * Squish; dzExt1 = dz0 - 2 - 3 * Squish; }
                else { zsvExt0 = zsvExt1 = zsb; dzExt0 = dzExt1 = dz0 - 3 * Squish; }
            }
            else
            {
                int c = aPoint & bPoint;
                if ((c & 0x01) != 0) { xsvExt0 = xsb + 1; xsvExt1 = xsb + 2; dxExt0 = dx0 - 1 - Squish; dxExt1 = dx0 - 2 - 2 * Squish; }
                else { xsvExt0 = xsvExt1 = xsb; dxExt0 = dx0 - Squish; dxExt1 = dx0 - 2 * Squish; }

                if ((c & 0x02) != 0) { ysvExt0 = ysb + 1; ysvExt1 = ysb + 2; dyExt0 = dy0 - 1 - Squish; dyExt1 = dy0 - 2 - 2 * Squish; }
                else { ysvExt0 = ysvExt1 = ysb; dyExt0 = dy0 - Squish; dyExt1 = dy0 - 2 * Squish; }

                if ((c & 0x04) != 0) { zsvExt0 = zsb + 1; zsvExt1 = zsb + 2; dzExt0 = dz0 - 1 - Squish; dzExt1 = dz0 - 2 - 2 * Squish; }
                else { zsvExt0 = zsvExt1 = zsb; dzExt0 = dz0 - Squish; dzExt1 = dz0 - 2 * Squish; }
            }

            double dx3 = dx0 - 1 - 2 * Squish;
            double dy3 = dy0 - 1 - 2 * Squish;
            double dz3 = dz0 - 0 - 2 * Squish;
            value += Contribution(xsb + 1, ysb + 1, zsb, dx3, dy3, dz3);
            double dx2 = dx3;
            double dy2 = dy0 - 0 - 2 * Squish;
            double dz2 = dz0 - 1 - 2 * Squish;
            value += Contribution(xsb + 1, ysb, zsb + 1, dx2, dy2, dz2);
            double dx1 = dx0 - 0 - 2 * Squish;
            double dy1 = dy3;
            double dz1 = dz2;
            value += Contribution(xsb, ysb + 1, zsb + 1, dx1, dy1, dz1);
            double dx = dx0 - 1 - 3 * Squish;
            double dy = dy0 - 1 - 3 * Squish;
            double dz = dz0 - 1 - 3 * Squish;
            value += Contribution(xsb + 1, ysb + 1, zsb + 1, dx, dy, dz);
        }
        else
        {
            // Inside the octahedron between the two tetrahedra.
            double aScore, bScore;
            int aPoint, bPoint;
            bool aFurther, bFurther;
            double p1 = xins + yins;
            if (p1 > 1) { aScore = p1 - 1; aPoint = 0x03; aFurther = true; }
            else { aScore = 1 - p1; aPoint = 0x04; aFurther = false; }

            double p2 = xins + zins;
            if (p2 > 1) { bScore = p2 - 1; bPoint = 0x05; bFurther = true; }
            else { bScore = 1 - p2; bPoint = 0x02; bFurther = false; }

            double p3 = yins + zins;
            if (p3 > 1)
            {
                double score = p3 - 1;
                if (aScore <= bScore && aScore < score) { aPoint = 0x06; aFurther = true; }
                else if (aScore > bScore && bScore < score) { bPoint = 0x06; bFurther = true; }
            }
            else
            {
                double score = 1 - p3;
                if (aScore <= bScore && aScore < score) { aPoint = 0x01; aFurther = false; }
                else if (aScore > bScore && bScore < score) { bPoint = 0x01; bFurther = false; }
            }

            if (aFurther == bFurther)
            {
                if (aFurther)
                {
                    dxExt0 = dx0 - 1 - 3 * Squish;
                    dyExt0 = dy0 - 1 - 3 * Squish;
                    dzExt0 = dz0 - 1 - 3 * Squish;
                    xsvExt0 = xsb + 1; ysvExt0 = ysb + 1; zsvExt0 = zsb + 1;
                    int c = aPoint & bPoint;
                    if ((c & 0x01) != 0)
                    {
                        dxExt1 = dx0 - 2 - 2 * Squish; dyExt1 = dy0 - 2 * Squish; dzExt1 = dz0 - 2 * Squish;
                        xsvExt1 = xsb + 2; ysvExt1 = ysb; zsvExt1 = zsb;
                    }
                    else if ((c & 0x02) != 0)
                    {
                        dxExt1 = dx0 - 2 * Squish; dyExt1 = dy0 - 2 - 2 * Squish; dzExt1 = dz0 - 2 * Squish;
                        xsvExt1 = xsb; ysvExt1 = ysb + 2; zsvExt1 = zsb;
                    }
                    else
                    {
                        dxExt1 = dx0 - 2 * Squish; dyExt1 = dy0 - 2 * Squish; dzExt1 = dz0 - 2 - 2 * Squish;
                        xsvExt1 = xsb; ysvExt1 = ysb; zsvExt1 = zsb + 2;
                    }
                }
                else
                {
                    dxExt0 = dx0; dyExt0 = dy0; dzExt0 = dz0;
                    xsvExt0 = xsb; ysvExt0 = ysb; zsvExt0 = zsb;
                    int c = aPoint | bPoint;
                    if ((c & 0x01) == 0)
                    {
                        dxExt1 = dx0 + 1 - Squish; dyExt1 = dy0 - 1 - Squish; dzExt1 = dz0 - 1 - Squish;
                        xsvExt1 = xsb - 1; ysvExt1 = ysb + 1; zsvExt1 = zsb + 1;
                    }
                    else if ((c & 0x02) == 0)
                    {
                        dxExt1 = dx0 - 1 - Squish; dyExt1 = dy0 + 1 - Squish; dzExt1 = dz0 - 1 - Squish;
                        xsvExt1 = xsb + 1; ysvExt1 = ysb - 1; zsvExt1 = zsb + 1;
                    }
                    else
                    {
                        dxExt1 = dx0 - 1 - Squish; dyExt1 = dy0 - 1 - Squish; dzExt1 = dz0 + 1 - Squish;
                        xsvExt1 = xsb + 1; ysvExt1 = ysb + 1; zsvExt1 = zsb - 1;
                    }
                }
            }
            else
            {
                int c1 = aFurther ? aPoint : bPoint;
                int c2 = aFurther ? bPoint : aPoint;
                if ((c1 & 0x01) == 0)
                {
                    dxExt0 = dx0 + 1 - Squish; dyExt0 = dy0 - 1 - Squish; dzExt0 = dz0 - 1 - Squish;
                    xsvExt0 = xsb - 1; ysvExt0 = ysb + 1; zsvExt0 = zsb + 1;
                }
                else if ((c1 & 0x02) == 0)
                {
                    dxExt0 = dx0 - 1 - Squish; dyExt0 = dy0 + 1 - Squish; dzExt0 = dz0 - 1 - Squish;
                    xsvExt0 = xsb + 1; ysvExt0 = ysb - 1; zsvExt0 = zsb + 1;
                }
                else
                {
                    dxExt0 = dx0 - 1 - Squish; dyExt0 = dy0 - 1 - Squish; dzExt0 = dz0 + 1 - Squish;
                    xsvExt0 = xsb + 1; ysvExt0 = ysb + 1; zsvExt0 = zsb - 1;
                }

                dxExt1 = dx0 - 2 * Squish; dyExt1 = dy0 - 2 * Squish; dzExt1 = dz0 - 2 * Squish;
                xsvExt1 = xsb; ysvExt1 = ysb; zsvExt1 = zsb;
                if ((c2 & 0x01) != 0) { dxExt1 -= 2; xsvExt1 += 2; }
                else if ((c2 & 0x02) != 0) { dyExt1 -= 2; ysvExt1 += 2; }
                else { dzExt1 -= 2; zsvExt1 += 2; }
            }

            double dx1 = dx0 - 1 - Squish;
            double dy1 = dy0 - 0 - Squish;
            double dz1 = dz0 - 0 - Squish;
            value += Contribution(xsb + 1, ysb, zsb, dx1, dy1, dz1);
            double dx2 = dx0 - 0 - Squish;
            double dy2 = dy0 - 1 - Squish;
            double dz2 = dz1;
            value += Contribution(xsb, ysb + 1, zsb, dx2, dy2, dz2);
            double dx3 = dx2;
            double dy3 = dy1;
            double dz3 = dz0 - 1 - Squish;
            value += Contribution(xsb, ysb, zsb + 1, dx3, dy3, dz3);
            double dx4 = dx0 - 1 - 2 * Squish;
            double dy4 = dy0 - 1 - 2 * Squish;
            double dz4 = dz0 - 0 - 2 * Squish;
            value += Contribution(xsb + 1, ysb + 1, zsb, dx4, dy4, dz4);
            double dx5 = dx4;
            double dy5 = dy0 - 0 - 2 * Squish;
            double dz5 = dz0 - 1 - 2 * Squish;
            value += Contribution(xsb + 1, ysb, zsb + 1, dx5, dy5, dz5);
            double dx6 = dx0 - 0 - 2 * Squish;
            double dy6 = dy4;
            double dz6 = dz5;
            value += Contribution(xsb, ysb + 1, zsb + 1, dx6, dy6, dz6);
        }

        value += Contribution(xsvExt0, ysvExt0, zsvExt0, dxExt0, dyExt0, dzExt0);
        value += Contribution(xsvExt1, ysvExt1, zsvExt1, dxExt1, dyExt1, dzExt1);
        return value / Norm;
    }

    // Returns exactly 0.0 when the vertex is out of range: adding +0.0 leaves the running sum unchanged
    // (the sum is never -0.0 before a real contribution), so skipping and adding zero agree bit for bit.
    private double Contribution(long xsv, long ysv, long zsv, double dx, double dy, double dz)
    {
        double attn = 2 - dx * dx - dy * dy - dz * dz;
        if (!(attn > 0)) return 0.0;
        attn *= attn;
        return attn * attn * Extrapolate(xsv, ysv, zsv, dx, dy, dz);
    }

    private double Extrapolate(long xsb, long ysb, long zsb, double dx, double dy, double dz)
    {
        int index = _gradIndex[(_perm[(_perm[(int)(xsb & 0xFF)] + ysb) & 0xFF] + zsb) & 0xFF];
        return Gradients[index] * dx + Gradients[index + 1] * dy + Gradients[index + 2] * dz;
    }
}
