namespace Rollouts.Crafter.Rendering;

/// <summary>
/// The few Pillow 9.4 / numpy 1.24 operations Crafter's renderer uses, reproduced to the bit so
/// that rendered observations match the reference byte for byte. Each method names the C or
/// Python code it follows.
/// </summary>
internal static class PillowOps
{
    /// <summary>
    /// <c>Image.resize((width, height), Image.NEAREST)</c>. Pillow (_imaging.c <c>_resize</c> then
    /// Geometry.c <c>ImagingScaleAffine</c>) maps each axis independently, so the result does not
    /// depend on Crafter's transposes; see <see cref="NearestSourceIndices"/>.
    /// </summary>
    public static RgbaImage ResizeNearest(RgbaImage src, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);

        var dst = new RgbaImage(width, height, src.HasAlpha);
        if (width == src.Width && height == src.Height)
        {
            src.Pixels.CopyTo(dst.Pixels, 0); // Image.resize returns a copy for an equal size
            return dst;
        }

        Span<int> xs = width <= 1024 ? stackalloc int[width] : new int[width];
        Span<int> ys = height <= 1024 ? stackalloc int[height] : new int[height];
        NearestSourceIndices(src.Width, width, xs);
        NearestSourceIndices(src.Height, height, ys);

        var input = src.Pixels;
        var output = dst.Pixels;
        for (var y = 0; y < height; y++)
        {
            var sy = ys[y];
            var o = y * width * 4;
            for (var x = 0; x < width; x++, o += 4)
            {
                var sx = xs[x];
                if (sy < 0 || sx < 0)
                {
                    // Pillow zero-fills pixels that map outside the source (never for a plain resize).
                    output[o] = output[o + 1] = output[o + 2] = 0;
                    output[o + 3] = src.HasAlpha ? (byte)0 : (byte)255;
                    continue;
                }

                var i = ((sy * src.Width) + sx) * 4;
                output[o] = input[i];
                output[o + 1] = input[i + 1];
                output[o + 2] = input[i + 2];
                output[o + 3] = input[i + 3];
            }
        }

        return dst;
    }

    /// <summary>
    /// Pillow's NEAREST source index for each destination index along one axis (-1 = outside):
    /// <c>scale = (double)srcSize / dstSize; pos = scale * 0.5;</c> then for each destination
    /// index <c>src = (int)pos</c> (truncation; -1 if pos &lt; 0) and <c>pos += scale</c>.
    /// The position is accumulated, not multiplied, so its rounding matters (16 / 5 = 3.2 gives
    /// 1.6, 4.8, 8.000000000000002, ...).
    /// </summary>
    public static void NearestSourceIndices(int srcSize, int dstSize, Span<int> indices)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(srcSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dstSize);
        if (indices.Length < dstSize)
        {
            throw new ArgumentException($"Need room for {dstSize} indices.", nameof(indices));
        }

        // a[0] = (double)(box[2] - box[0]) / xsize, with box in C floats (exact for image sizes).
        var scale = (double)(float)srcSize / dstSize;
        var pos = 0.0 + (scale * 0.5); // a[2] + a[0] * 0.5 with a[2] = box[0] = 0
        for (var i = 0; i < dstSize; i++)
        {
            var index = pos < 0.0 ? -1 : (int)pos; // COORD(v)
            indices[i] = index >= 0 && index < srcSize ? index : -1;
            pos += scale;
        }
    }

    /// <summary>
    /// Pillow's <c>convert("L")</c> from RGB or RGBA (Convert.c <c>rgb2l</c>, ITU-R 601-2 in
    /// 16.16 fixed point, rounded): <c>(r * 19595 + g * 38470 + b * 7471 + 0x8000) &gt;&gt; 16</c>.
    /// Alpha is ignored.
    /// </summary>
    public static byte Luma(byte r, byte g, byte b) =>
        (byte)(((r * 19595) + (g * 38470) + (b * 7471) + 0x8000) >> 16);

    /// <summary>
    /// In place on interleaved 8-bit RGB: <c>ImageEnhance.Color(Image.fromarray(rgb)).enhance(factor)</c>
    /// = <c>Image.blend(grey, image, factor)</c> with grey = <c>convert("L").convert("RGB")</c>
    /// (each channel = <see cref="Luma"/>). See <see cref="Blend"/> for the arithmetic.
    /// </summary>
    public static void EnhanceColor(Span<byte> rgb, double factor)
    {
        if (rgb.Length % 3 != 0)
        {
            throw new ArgumentException($"RGB buffer length {rgb.Length} is not a multiple of 3.", nameof(rgb));
        }

        // _imaging.c _blend parses a double and passes (float)alpha to ImagingBlend.
        var alpha = (float)factor;
        if (alpha == 1.0f)
        {
            return; // ImagingBlend returns a copy of the second image (the original)
        }

        for (var i = 0; i < rgb.Length; i += 3)
        {
            var grey = Luma(rgb[i], rgb[i + 1], rgb[i + 2]);
            rgb[i] = Blend(grey, rgb[i], alpha);
            rgb[i + 1] = Blend(grey, rgb[i + 1], alpha);
            rgb[i + 2] = Blend(grey, rgb[i + 2], alpha);
        }
    }

    /// <summary>
    /// One channel of Blend.c <c>ImagingBlend(im1, im2, alpha)</c>, all in C float (single precision):
    /// alpha 0 copies im1, alpha 1 copies im2; for 0 &lt; alpha &lt; 1
    /// <c>(byte)(in1 + alpha * (in2 - in1))</c> truncated; otherwise (extrapolation) the same value
    /// clipped: &lt;= 0 gives 0, &gt;= 255 gives 255, else truncated.
    /// </summary>
    public static byte Blend(byte in1, byte in2, float alpha)
    {
        if (alpha == 0.0f)
        {
            return in1;
        }

        if (alpha == 1.0f)
        {
            return in2;
        }

        // The casts pin each step to single precision, as C evaluates int * float in float.
        var temp = (float)(in1 + (float)(alpha * (in2 - in1)));
        if (alpha >= 0.0f && alpha <= 1.0f)
        {
            return (byte)temp; // in range by construction; C's (UINT8) truncates
        }

        return temp <= 0.0f ? (byte)0 : temp >= 255.0f ? (byte)255 : (byte)temp;
    }

    /// <summary>
    /// numpy 1.24 <c>np.linspace(start, stop, num)</c> (endpoint=True) for float64:
    /// <c>step = (stop - start) / (num - 1); y[i] = i * step + start</c> (two roundings, no fused
    /// multiply-add) and <c>y[num - 1] = stop</c> exactly. If step is 0 (denormal underflow)
    /// numpy computes <c>i / div * delta + start</c> instead.
    /// </summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(num);
        var y = new double[num];
        var div = num - 1;
        var delta = stop - start;
        if (div > 0)
        {
            var step = delta / div;
            for (var i = 0; i < num; i++)
            {
                var scaled = step == 0.0 ? (i / (double)div) * delta : i * step;
                y[i] = scaled + start;
            }

            y[num - 1] = stop;
        }
        else if (num == 1)
        {
            y[0] = (0.0 * delta) + start;
        }

        return y;
    }

    /// <summary>Crafter's vignette axis: <c>np.linspace(-1, 1, num)</c>.</summary>
    public static double[] LinspaceMinusOneToOne(int num) => Linspace(-1.0, 1.0, num);

    /// <summary>
    /// numpy <c>float64.astype(np.uint8)</c> for the values Crafter produces (0 &lt;= v &lt; 256):
    /// C's <c>(npy_ubyte)v</c>, i.e. truncation toward zero. Out-of-range values are undefined
    /// in C; this keeps x86's behaviour (low byte of the 32-bit truncation) for modest ones.
    /// </summary>
    public static byte ToByte(double v) => unchecked((byte)(int)v);

    /// <summary><see cref="ToByte(double)"/> for numpy float32 arrays (Crafter's <c>_draw_alpha</c>).</summary>
    public static byte ToByte(float v) => unchecked((byte)(int)v);
}
