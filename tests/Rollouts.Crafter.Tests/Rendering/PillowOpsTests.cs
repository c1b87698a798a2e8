using Rollouts.Crafter.Rendering;
using Xunit;

namespace Rollouts.Crafter.Tests.Rendering;

public sealed class PillowOpsTests
{
    // Pillow's NEAREST (Geometry.c ImagingScaleAffine): scale = src / dst, pos = scale / 2, then
    // index = (int)pos and pos += scale for each destination pixel, in doubles. Worked by hand
    // (and checked against Pillow 9.4.0):
    //   16 -> 7: pos = 1.142.., 3.428.., 5.714.., 7.999999999999999 (accumulated; (3 + 0.5) * 16 / 7
    //            would give 8.0), 10.28.., 12.57.., 14.85..  => 1, 3, 5, 7, 10, 12, 14
    //   16 -> 5: 1.6, 4.800000000000001, 8.0, 11.2, 14.399999999999999  => 1, 4, 8, 11, 14
    //   16 -> 4: 2, 6, 10, 14 (exact)
    //   3 -> 5 (upscale): 0.3, 0.899.., 1.5, 2.1, 2.7  => 0, 0, 1, 2, 2
    //   5 -> 3: 0.833.., 2.5, 4.166..  => 0, 2, 4
    //   2 -> 7: 0.142.., 0.428.., 0.714.., 0.9999999999999999 (direct would be 1.0), ...  => 0, 0, 0, 0, 1, 1, 1
    [Theory]
    [InlineData(16, 7, new[] { 1, 3, 5, 7, 10, 12, 14 })]
    [InlineData(16, 5, new[] { 1, 4, 8, 11, 14 })]
    [InlineData(16, 4, new[] { 2, 6, 10, 14 })]
    [InlineData(3, 5, new[] { 0, 0, 1, 2, 2 })]
    [InlineData(5, 3, new[] { 0, 2, 4 })]
    [InlineData(2, 7, new[] { 0, 0, 0, 0, 1, 1, 1 })]
    [InlineData(2, 3, new[] { 0, 1, 1 })]
    public void Nearest_indices_follow_Pillow(int source, int destination, int[] expected)
    {
        var indices = new int[destination];
        PillowOps.NearestSourceIndices(source, destination, indices);
        Assert.Equal(expected, indices);
    }

    [Fact]
    public void ResizeNearest_on_a_small_image()
    {
        // 3x2 image whose red channel is the pixel number (y * 3 + x); resized to 5x3 it takes
        // columns 0, 0, 1, 2, 2 (3 -> 5) and rows 0, 1, 1 (2 -> 3), as in the table above.
        var src = new RgbaImage(3, 2, hasAlpha: true);
        for (var p = 0; p < 6; p++)
        {
            src.Pixels[p * 4] = (byte)p;
            src.Pixels[(p * 4) + 1] = (byte)(100 + p);
            src.Pixels[(p * 4) + 2] = (byte)(200 + p);
            src.Pixels[(p * 4) + 3] = (byte)(10 * p);
        }

        var dst = PillowOps.ResizeNearest(src, 5, 3);

        Assert.True(dst.HasAlpha);
        byte[] expectedPixels = [0, 0, 1, 2, 2, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5];
        for (var p = 0; p < expectedPixels.Length; p++)
        {
            var s = expectedPixels[p];
            Assert.Equal(new byte[] { s, (byte)(100 + s), (byte)(200 + s), (byte)(10 * s) }, dst.Pixels.AsSpan(p * 4, 4).ToArray());
        }
    }

    [Fact]
    public void ResizeNearest_to_the_same_size_copies()
    {
        var src = RenderingTestData.Asset("grass");
        var dst = PillowOps.ResizeNearest(src, 16, 16);
        Assert.NotSame(src.Pixels, dst.Pixels);
        Assert.Equal(src.Pixels, dst.Pixels);
    }

    // FNV-1a of the RGBA pixels after Crafter's Textures.get: Image.fromarray(transposed texture)
    // .resize((h, w), NEAREST), transposed back; computed with Pillow 9.4.0. (w, h) = (7, 7) is the
    // 64x64 observation's cell, (5, 5) and (4, 4) the inventory icon and digit.
    [Theory]
    [InlineData("player", 7, 7, 0xb01879d5u)]
    [InlineData("player", 5, 5, 0x141f6bc3u)]
    [InlineData("player", 4, 4, 0x1c58423du)]
    [InlineData("player", 7, 5, 0xa8e8f008u)]
    [InlineData("player", 3, 20, 0xa5afdcc6u)]
    [InlineData("grass", 7, 7, 0x48208ccbu)]
    [InlineData("grass", 5, 5, 0x21e4c947u)]
    [InlineData("grass", 4, 4, 0xaea4332du)]
    [InlineData("grass", 7, 5, 0xee026c25u)]
    [InlineData("grass", 3, 20, 0xa256e8c0u)]
    [InlineData("1", 7, 7, 0xe8d76a6du)]
    [InlineData("1", 5, 5, 0xa34567abu)]
    [InlineData("1", 4, 4, 0xed84db7eu)]
    [InlineData("sapling", 7, 7, 0xbb4431bfu)]
    [InlineData("sapling", 5, 5, 0x7af7d29eu)]
    [InlineData("sapling", 4, 4, 0xec75f36bu)]
    public void ResizeNearest_matches_Pillow_on_textures(string name, int width, int height, uint rgbaFnv)
    {
        var resized = PillowOps.ResizeNearest(RenderingTestData.Asset(name), width, height);
        Assert.Equal(width, resized.Width);
        Assert.Equal(height, resized.Height);
        Assert.Equal(rgbaFnv, RenderingTestData.Fnv1a(resized.Pixels));
    }

    // Pillow 9.4.0: np.array(Image.fromarray(pixel).convert('L')) and
    // ImageEnhance.Color(Image.fromarray(pixel)).enhance(f). Several lumas differ from the old
    // (299 R + 587 G + 114 B) / 1000 formula (e.g. (0, 255, 0): 150, not 149).
    [Theory]
    [InlineData(200, 100, 50, 124)]
    [InlineData(1, 2, 3, 2)]
    [InlineData(255, 0, 0, 76)]
    [InlineData(0, 255, 0, 150)]
    [InlineData(0, 0, 255, 29)]
    [InlineData(10, 200, 30, 124)]
    [InlineData(123, 45, 67, 71)]
    public void Luma_and_full_desaturation_match_Pillow(byte r, byte g, byte b, byte luma)
    {
        Assert.Equal(luma, PillowOps.Luma(r, g, b));

        byte[] rgb = [r, g, b, r, g, b];
        PillowOps.EnhanceColor(rgb, 0.0);
        Assert.Equal(new[] { luma, luma, luma, luma, luma, luma }, rgb);
    }

    [Theory]
    [InlineData(0.4, 200, 100, 50, 154, 114, 94)]
    [InlineData(0.4, 1, 2, 3, 1, 2, 2)]
    [InlineData(0.4, 255, 0, 0, 147, 45, 45)]
    [InlineData(0.4, 0, 255, 0, 90, 192, 90)]
    [InlineData(0.4, 0, 0, 255, 17, 17, 119)]
    [InlineData(0.4, 10, 200, 30, 78, 154, 86)]
    [InlineData(0.4, 123, 45, 67, 91, 60, 69)]
    [InlineData(1.5, 200, 100, 50, 238, 88, 13)]
    [InlineData(1.5, 1, 2, 3, 0, 2, 3)]
    [InlineData(1.5, 255, 0, 0, 255, 0, 0)]
    [InlineData(1.5, 10, 200, 30, 0, 238, 0)]
    [InlineData(1.5, 123, 45, 67, 149, 32, 65)]
    [InlineData(1.0, 123, 45, 67, 123, 45, 67)]
    public void EnhanceColor_matches_Pillow(double factor, byte r, byte g, byte b, byte er, byte eg, byte eb)
    {
        byte[] rgb = [r, g, b];
        PillowOps.EnhanceColor(rgb, factor);
        Assert.Equal(new[] { er, eg, eb }, rgb);
    }

    [Fact]
    public void Linspace_matches_numpy_bit_for_bit()
    {
        // numpy 1.24.2: np.linspace(-1, 1, 63)[[0, 1, 31, 61, 62]] and np.linspace(-1, 1, 49)[[1, 24, 47]];
        // note the asymmetry of the 49-point one (i * step - 1, last value forced to stop).
        var a = PillowOps.LinspaceMinusOneToOne(63);
        Assert.Equal(63, a.Length);
        Assert.Equal(-1.0, a[0]);
        Assert.Equal(-0.967741935483871, a[1]);
        Assert.Equal(0.0, a[31]);
        Assert.Equal(0.967741935483871, a[61]);
        Assert.Equal(1.0, a[62]);

        var b = PillowOps.LinspaceMinusOneToOne(49);
        Assert.Equal(-0.9583333333333334, b[1]);
        Assert.Equal(0.0, b[24]);
        Assert.Equal(0.9583333333333333, b[47]);
        Assert.Equal(1.0, b[48]);

        Assert.Equal([-1.0], PillowOps.LinspaceMinusOneToOne(1));
        Assert.Empty(PillowOps.LinspaceMinusOneToOne(0));
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(254.99999, 254)]
    [InlineData(127.5, 127)]
    [InlineData(255.0, 255)]
    public void ToByte_truncates_like_numpy_astype(double value, byte expected)
    {
        Assert.Equal(expected, PillowOps.ToByte(value));
        Assert.Equal(expected, PillowOps.ToByte((float)value));
    }
}
