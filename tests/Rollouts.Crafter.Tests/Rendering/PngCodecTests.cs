using System.Buffers.Binary;
using System.IO.Compression;
using Rollouts.Crafter.Rendering;
using Xunit;

namespace Rollouts.Crafter.Tests.Rendering;

public sealed class PngCodecTests
{
    // Every texture of Crafter 1.8.3: whether it has an alpha channel, and FNV-1a of its pixels
    // as RGBA. Computed with Pillow 9.4.0 (Debian 12, the reference environment):
    // fnv1a(np.array(Image.open(path).convert('RGBA')).tobytes()); Image.open(path).mode gave
    // RGB for the nine opaque ones and RGBA for the rest, all 16x16.
    public static TheoryData<string, bool, uint> Assets => new()
    {
        { "1", true, 0x520a4b4fu }, { "2", true, 0x499e708du }, { "3", true, 0xb64337b9u },
        { "4", true, 0x28c59ed5u }, { "5", true, 0x407c9fcdu }, { "6", true, 0x35a99b31u },
        { "7", true, 0x048b7895u }, { "8", true, 0x7362d5c5u }, { "9", true, 0xbb128e71u },
        { "arrow-down", true, 0x0fc3a8deu }, { "arrow-left", true, 0x8decafeeu },
        { "arrow-right", true, 0x3f074676u }, { "arrow-up", true, 0x99be004eu },
        { "coal", true, 0x4e4c585fu }, { "cow", true, 0xe7bfce66u },
        { "debug-2", true, 0x3f59a565u }, { "debug-3", true, 0xb45f7645u }, { "debug", true, 0xbe56d1e5u },
        { "diamond", true, 0xab7cfde7u }, { "drink", true, 0x5c5c321du }, { "energy", true, 0xc9c8972du },
        { "fence", true, 0x5572b09fu }, { "food", true, 0x4abb73a7u },
        { "furnace", false, 0x2ee6ad44u }, { "grass", false, 0x82bfdb3eu },
        { "health", true, 0xc3071a9bu }, { "iron", false, 0x3d7c5322u },
        { "iron_pickaxe", true, 0xdad59ca8u }, { "iron_sword", true, 0x49f0ad30u },
        { "lava", false, 0xe37dd13cu }, { "leaves", true, 0xd9533180u }, { "log", true, 0x3969904du },
        { "path", true, 0x89675be6u }, { "plant-ripe", true, 0x66935a4au },
        { "plant-young", false, 0x21027ed3u }, { "plant", true, 0xb1bb8fa6u },
        { "player-down", true, 0x98a29a48u }, { "player-left", true, 0x53e3d9d1u },
        { "player-right", true, 0xa351108du }, { "player-sleep", true, 0x133ea49eu },
        { "player-up", true, 0x35294d4eu }, { "player", true, 0x6dd69a23u },
        { "sand", false, 0x77aa5fa5u }, { "sapling", true, 0x2261ba34u }, { "skeleton", true, 0x2a81a6acu },
        { "stone", false, 0xbb82a2eau }, { "stone_pickaxe", true, 0xde16c186u },
        { "stone_sword", true, 0xbce69b61u }, { "table", true, 0x3435f556u },
        { "tree", false, 0x2e02fe44u }, { "unknown", true, 0x6bac30b5u }, { "water", false, 0xd123bc5fu },
        { "wood", true, 0x8c449dc5u }, { "wood_pickaxe", true, 0x1e34b09du },
        { "wood_sword", true, 0x4f642079u }, { "zombie", true, 0xdc86d7f6u },
    };

    [Theory]
    [MemberData(nameof(Assets))]
    public void Decodes_every_texture_like_Pillow(string name, bool hasAlpha, uint rgbaFnv)
    {
        var image = RenderingTestData.Asset(name);

        Assert.Equal(16, image.Width);
        Assert.Equal(16, image.Height);
        Assert.Equal(hasAlpha, image.HasAlpha);
        Assert.Equal(rgbaFnv, RenderingTestData.Fnv1a(image.Pixels));
    }

    [Fact]
    public void Every_embedded_texture_is_covered()
    {
        var expected = Assets.Select(row => (string)row[0]).Order(StringComparer.Ordinal);
        Assert.Equal(expected, RenderingTestData.EmbeddedAssetNames().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Encode_then_decode_round_trips()
    {
        const int width = 7;
        const int height = 5;
        var rgb = new byte[width * height * 3];
        new Random(1234).NextBytes(rgb);

        var image = PngCodec.Decode(PngCodec.EncodeRgb(rgb, width, height));

        Assert.Equal(width, image.Width);
        Assert.Equal(height, image.Height);
        Assert.False(image.HasAlpha);
        for (var p = 0; p < width * height; p++)
        {
            Assert.Equal(rgb.AsSpan(p * 3, 3).ToArray(), image.Pixels.AsSpan(p * 4, 3).ToArray());
            Assert.Equal(255, image.Pixels[(p * 4) + 3]);
        }
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        Assert.Equal(0xCBF43926u, PngCodec.Crc32.Compute("123456789"u8));
    }

    [Fact]
    public void Decodes_all_five_filter_types()
    {
        // An RGBA image whose row y uses filter y (0..4); rows are filtered here by the PNG spec.
        const int width = 3;
        const int height = 5;
        var pixels = new byte[width * height * 4];
        new Random(7).NextBytes(pixels);

        var png = BuildPng(width, height, bitDepth: 8, colorType: 6, FilterRows(pixels, width * 4, height, bpp: 4));
        var image = PngCodec.Decode(png);

        Assert.True(image.HasAlpha);
        Assert.Equal(pixels, image.Pixels);
    }

    [Fact]
    public void Decodes_palette_with_transparency_and_packed_grey()
    {
        // 4x1 palette image, 2 bits per index: indices 0,1,2,3 = 0b00_01_10_11.
        byte[] plte = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120];
        byte[] trns = [0, 128];
        var png = BuildPng(4, 1, bitDepth: 2, colorType: 3, [0, 0b00_01_10_11], extra: [("PLTE", plte), ("tRNS", trns)]);
        var image = PngCodec.Decode(png);
        Assert.True(image.HasAlpha);
        Assert.Equal(
            new byte[] { 10, 20, 30, 0, 40, 50, 60, 128, 70, 80, 90, 255, 100, 110, 120, 255 },
            image.Pixels);

        // 8x1 one-bit grey: 1 -> 255, 0 -> 0.
        var grey = PngCodec.Decode(BuildPng(8, 1, bitDepth: 1, colorType: 0, [0, 0b1010_0001]));
        Assert.False(grey.HasAlpha);
        Assert.Equal(new byte[] { 255, 0, 255, 0, 0, 0, 0, 255 }, Enumerable.Range(0, 8).Select(x => grey.Pixels[x * 4]).ToArray());
    }

    [Fact]
    public void Decodes_sixteen_bit_rgb_by_keeping_the_high_byte()
    {
        var png = BuildPng(1, 1, bitDepth: 16, colorType: 2, [0, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC]);
        Assert.Equal(new byte[] { 0x12, 0x56, 0x9A, 255 }, PngCodec.Decode(png).Pixels);
    }

    [Fact]
    public void Rejects_interlaced_images_with_a_clear_message()
    {
        var png = BuildPng(1, 1, bitDepth: 8, colorType: 2, [0, 1, 2, 3], interlace: 1);
        var error = Assert.Throws<InvalidDataException>(() => PngCodec.Decode(png));
        Assert.Contains("Interlaced", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_corrupt_data()
    {
        var good = PngCodec.EncodeRgb(new byte[4 * 4 * 3], 4, 4);

        Assert.Throws<InvalidDataException>(() => PngCodec.Decode(good.AsSpan(1)));
        Assert.Throws<InvalidDataException>(() => PngCodec.Decode(good.AsSpan(0, good.Length - 20)));

        var badCrc = (byte[])good.Clone();
        badCrc[20] ^= 0xFF; // inside IHDR
        Assert.Contains("CRC", Assert.Throws<InvalidDataException>(() => PngCodec.Decode(badCrc)).Message, StringComparison.Ordinal);

        // Valid chunks, but the image data holds one row too few.
        var shortData = BuildPng(2, 2, bitDepth: 8, colorType: 2, new byte[7]);
        Assert.Throws<InvalidDataException>(() => PngCodec.Decode(shortData));

        // Valid chunks, but not a zlib stream.
        var notZlib = BuildPng(1, 1, bitDepth: 8, colorType: 2, [], rawIdat: [1, 2, 3, 4, 5]);
        Assert.Throws<InvalidDataException>(() => PngCodec.Decode(notZlib));
    }

    [Fact]
    public void Ignores_bytes_after_IEND()
    {
        // furnace.png ends with one stray byte after IEND; Pillow reads it all the same.
        var png = PngCodec.EncodeRgb([1, 2, 3], 1, 1).Append((byte)0x0A).ToArray();
        Assert.Equal(new byte[] { 1, 2, 3, 255 }, PngCodec.Decode(png).Pixels);
    }

    // Applies filter (y % 5) to row y, as an encoder would.
    private static byte[] FilterRows(byte[] pixels, int stride, int height, int bpp)
    {
        var output = new byte[height * (stride + 1)];
        for (var y = 0; y < height; y++)
        {
            var filter = (byte)(y % 5);
            output[y * (stride + 1)] = filter;
            for (var i = 0; i < stride; i++)
            {
                int x = pixels[(y * stride) + i];
                int a = i >= bpp ? pixels[(y * stride) + i - bpp] : 0;
                int b = y > 0 ? pixels[((y - 1) * stride) + i] : 0;
                int c = i >= bpp && y > 0 ? pixels[((y - 1) * stride) + i - bpp] : 0;
                var predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) >> 1,
                    _ => Paeth(a, b, c),
                };
                output[(y * (stride + 1)) + 1 + i] = (byte)(x - predictor);
            }
        }

        return output;
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static byte[] BuildPng(
        int width,
        int height,
        int bitDepth,
        int colorType,
        byte[] filteredRows,
        int interlace = 0,
        byte[]? rawIdat = null,
        (string Type, byte[] Data)[]? extra = null)
    {
        using var output = new MemoryStream();
        output.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)colorType;
        ihdr[12] = (byte)interlace;
        WriteChunk(output, "IHDR", ihdr);
        foreach (var (type, data) in extra ?? [])
        {
            WriteChunk(output, type, data);
        }

        WriteChunk(output, "IDAT", rawIdat ?? Compress(filteredRows));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static byte[] Compress(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(data);
        }

        return output.ToArray();
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        var typeAndData = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typeAndData);
        data.CopyTo(typeAndData, 4);
        var buffer = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, data.Length);
        output.Write(buffer);
        output.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(buffer, PngCodec.Crc32.Compute(typeAndData));
        output.Write(buffer);
    }
}
