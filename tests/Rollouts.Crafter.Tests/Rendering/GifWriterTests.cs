using Rollouts.Crafter.Rendering;
using Xunit;

namespace Rollouts.Crafter.Tests.Rendering;

public sealed class GifWriterTests
{
    [Fact]
    public void Writes_header_screen_frames_and_trailer()
    {
        var frames = new List<byte[]> { Solid(4, 3, 255, 0, 0), Solid(4, 3, 0, 255, 0), Solid(4, 3, 0, 0, 255) };

        var gif = GifWriter.Encode(frames, 4, 3, delayCentiseconds: 10);

        Assert.Equal("GIF89a"u8.ToArray(), gif[..6]);
        Assert.Equal(4, gif[6] | (gif[7] << 8));
        Assert.Equal(3, gif[8] | (gif[9] << 8));
        Assert.Equal(0x3B, gif[^1]);
        var parsed = Parse(gif);
        Assert.Equal(3, parsed.Frames.Count);
        Assert.All(parsed.Delays, d => Assert.Equal(10, d));
        Assert.Equal(0, parsed.LoopCount);
    }

    [Fact]
    public void Frames_decode_to_the_palette_colours()
    {
        // 64x64 noise fills the 4096-entry LZW table several times, so the clear/restart path
        // and every code width (9..12 bits) are exercised.
        const int width = 64;
        const int height = 64;
        var random = new Random(42);
        var frames = new List<byte[]>();
        for (var f = 0; f < 3; f++)
        {
            var rgb = new byte[width * height * 3];
            random.NextBytes(rgb);
            if (f == 1)
            {
                rgb.AsSpan(0, rgb.Length / 2).Fill(77); // long runs as well
            }

            frames.Add(rgb);
        }

        var parsed = Parse(GifWriter.Encode(frames, width, height, delayCentiseconds: 5, loopCount: 3));

        Assert.Equal(3, parsed.LoopCount);
        Assert.Equal(frames.Count, parsed.Frames.Count);
        for (var f = 0; f < frames.Count; f++)
        {
            for (var p = 0; p < width * height; p++)
            {
                var index = parsed.Frames[f][p];
                Assert.Equal(GifWriter.PaletteIndex(frames[f][p * 3], frames[f][(p * 3) + 1], frames[f][(p * 3) + 2]), index);
                // The palette colour is within half a cube step of the original on each channel.
                Assert.InRange(Math.Abs(parsed.Palette[index * 3] - frames[f][p * 3]), 0, 26);
                Assert.InRange(Math.Abs(parsed.Palette[(index * 3) + 1] - frames[f][(p * 3) + 1]), 0, 22);
                Assert.InRange(Math.Abs(parsed.Palette[(index * 3) + 2] - frames[f][(p * 3) + 2]), 0, 26);
            }
        }
    }

    [Fact]
    public void Single_pixel_frame_is_valid()
    {
        var parsed = Parse(GifWriter.Encode([new byte[] { 255, 255, 255 }], 1, 1, delayCentiseconds: 0));
        var frame = Assert.Single(parsed.Frames);
        Assert.Equal(GifWriter.PaletteIndex(255, 255, 255), frame[0]);
        Assert.Equal(255, parsed.Palette[frame[0] * 3]);
    }

    [Fact]
    public void Rejects_frames_of_the_wrong_size()
    {
        Assert.Throws<ArgumentException>(() => GifWriter.Encode([new byte[5]], 1, 2, 10));
        Assert.Throws<ArgumentException>(() => GifWriter.Encode([], 1, 1, 10));
    }

    private static byte[] Solid(int width, int height, byte r, byte g, byte b)
    {
        var rgb = new byte[width * height * 3];
        for (var i = 0; i < rgb.Length; i += 3)
        {
            rgb[i] = r;
            rgb[i + 1] = g;
            rgb[i + 2] = b;
        }

        return rgb;
    }

    private sealed record ParsedGif(byte[] Palette, List<byte[]> Frames, List<int> Delays, int LoopCount);

    // A strict reader for what GifWriter writes: global palette, extensions, full-frame images.
    private static ParsedGif Parse(byte[] gif)
    {
        var width = gif[6] | (gif[7] << 8);
        var height = gif[8] | (gif[9] << 8);
        Assert.Equal(0x80, gif[10] & 0x80); // global colour table
        var paletteSize = 3 << ((gif[10] & 7) + 1);
        var palette = gif[13..(13 + paletteSize)];
        var pos = 13 + paletteSize;
        var frames = new List<byte[]>();
        var delays = new List<int>();
        var loopCount = -1;
        while (true)
        {
            var introducer = gif[pos++];
            if (introducer == 0x3B)
            {
                Assert.Equal(gif.Length, pos);
                return new ParsedGif(palette, frames, delays, loopCount);
            }

            if (introducer == 0x21)
            {
                var label = gif[pos++];
                var blocks = ReadSubBlocks(gif, ref pos);
                if (label == 0xF9)
                {
                    delays.Add(blocks[1] | (blocks[2] << 8));
                }
                else if (label == 0xFF)
                {
                    Assert.Equal("NETSCAPE2.0"u8.ToArray(), blocks[..11]);
                    Assert.Equal(1, blocks[11]);
                    loopCount = blocks[12] | (blocks[13] << 8);
                }

                continue;
            }

            Assert.Equal(0x2C, introducer);
            Assert.Equal(width, gif[pos + 4] | (gif[pos + 5] << 8));
            Assert.Equal(height, gif[pos + 6] | (gif[pos + 7] << 8));
            Assert.Equal(0, gif[pos + 8]); // no local table, not interlaced
            pos += 9;
            int minCodeSize = gif[pos++];
            var data = ReadSubBlocks(gif, ref pos);
            frames.Add(LzwDecode(data, minCodeSize, width * height));
        }
    }

    // Concatenates the data of a run of sub-blocks, up to the zero-length terminator.
    private static byte[] ReadSubBlocks(byte[] gif, ref int pos)
    {
        var output = new List<byte>();
        int size;
        while ((size = gif[pos++]) != 0)
        {
            output.AddRange(gif.AsSpan(pos, size).ToArray());
            pos += size;
        }

        return output.ToArray();
    }

    // Reference GIF LZW decoder (the decoder's table trails the encoder's by one entry).
    private static byte[] LzwDecode(byte[] data, int minCodeSize, int pixelCount)
    {
        var clear = 1 << minCodeSize;
        var end = clear + 1;
        var prefixes = new int[4096];
        var suffixes = new byte[4096];
        var output = new List<byte>(pixelCount);
        var codeSize = minCodeSize + 1;
        var next = end + 1;
        var previous = -1;
        long bits = 0;
        var bitCount = 0;
        var pos = 0;
        for (var i = 0; i < clear; i++)
        {
            suffixes[i] = (byte)i;
            prefixes[i] = -1;
        }

        while (true)
        {
            while (bitCount < codeSize)
            {
                Assert.True(pos < data.Length, "LZW data ended before the end code.");
                bits |= (long)data[pos++] << bitCount;
                bitCount += 8;
            }

            var code = (int)(bits & ((1 << codeSize) - 1));
            bits >>= codeSize;
            bitCount -= codeSize;

            if (code == clear)
            {
                codeSize = minCodeSize + 1;
                next = end + 1;
                previous = -1;
                continue;
            }

            if (code == end)
            {
                Assert.Equal(pixelCount, output.Count);
                Assert.Equal(data.Length, pos); // nothing after the end code but padding bits
                return output.ToArray();
            }

            Assert.True(previous >= 0 || code < clear, "First code after a clear must be a literal.");
            Assert.True(code <= next, $"Code {code} is past the table ({next}).");
            if (previous >= 0)
            {
                Assert.True(next < 4096, "Table overflow without a clear code.");
                prefixes[next] = previous;
                // KwKwK: the new entry's last byte is the first byte of the code being decoded.
                suffixes[next] = FirstByte(code == next ? previous : code, prefixes, suffixes);
                next++;
                if (next == (1 << codeSize) && codeSize < 12)
                {
                    codeSize++;
                }
            }

            var start = output.Count;
            for (var c = code; c >= 0; c = prefixes[c])
            {
                output.Add(suffixes[c]);
            }

            output.Reverse(start, output.Count - start);
            previous = code;
        }
    }

    private static byte FirstByte(int code, int[] prefixes, byte[] suffixes)
    {
        while (prefixes[code] >= 0)
        {
            code = prefixes[code];
        }

        return suffixes[code];
    }
}
