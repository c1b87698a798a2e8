namespace Rollouts.Crafter.Rendering;

/// <summary>
/// An 8-bit image stored as interleaved RGBA, rows top to bottom (index = (y * Width + x) * 4).
/// <see cref="HasAlpha"/> remembers whether the source had an alpha channel: Crafter's
/// <c>_draw_alpha</c> blends only 4-channel textures, and an image without one is always opaque
/// here (alpha 255).
/// </summary>
public sealed class RgbaImage
{
    public RgbaImage(int width, int height, bool hasAlpha)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        Width = width;
        Height = height;
        HasAlpha = hasAlpha;
        Pixels = new byte[checked(width * height * 4)];
    }

    public RgbaImage(int width, int height, bool hasAlpha, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != checked(width * height * 4))
        {
            throw new ArgumentException(
                $"Expected {width}x{height}x4 = {width * height * 4} bytes, got {pixels.Length}.",
                nameof(pixels));
        }

        Width = width;
        Height = height;
        HasAlpha = hasAlpha;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>True when the source had an alpha channel (PNG grey+alpha, RGBA, or palette with tRNS).</summary>
    public bool HasAlpha { get; }

    /// <summary>RGBA bytes, row-major (y, then x).</summary>
    public byte[] Pixels { get; }

    /// <summary>Byte offset of pixel (x, y) in <see cref="Pixels"/>.</summary>
    public int IndexOf(int x, int y) => ((y * Width) + x) * 4;
}
