using System.Buffers.Binary;
using System.IO.Compression;

namespace Rollouts.Crafter.Rendering;

/// <summary>
/// A small PNG reader and writer (BCL only). Decoding covers every non-interlaced PNG:
/// grey 1/2/4/8/16, RGB 8/16, palette 1/2/4/8 (with tRNS), grey+alpha 8/16 and RGBA 8/16, all
/// five filters. Crafter's own textures are all 16x16, 8-bit RGB or RGBA.
/// </summary>
public static class PngCodec
{
    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    // Guards against absurd headers before allocating (16384 x 16384 RGBA).
    private const long MaxPixels = 1L << 28;

    private const int ChunkIhdr = 0x49484452;
    private const int ChunkPlte = 0x504C5445;
    private const int ChunkTrns = 0x74524E53;
    private const int ChunkIdat = 0x49444154;
    private const int ChunkIend = 0x49454E44;

    /// <summary>Decodes a PNG into RGBA; throws <see cref="InvalidDataException"/> for anything it cannot read.</summary>
    public static RgbaImage Decode(ReadOnlySpan<byte> png)
    {
        if (png.Length < Signature.Length || !png[..Signature.Length].SequenceEqual(Signature))
        {
            throw new InvalidDataException("Not a PNG file (bad signature).");
        }

        Header? header = null;
        ReadOnlySpan<byte> palette = default;
        ReadOnlySpan<byte> transparency = default;
        var idat = new List<Range>();
        long idatLength = 0;
        var sawEnd = false;
        var pos = Signature.Length;

        while (!sawEnd)
        {
            if (png.Length - pos < 12)
            {
                throw new InvalidDataException("Truncated PNG: missing IEND chunk.");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            if (length > int.MaxValue || length > (uint)(png.Length - pos - 12))
            {
                throw new InvalidDataException($"Truncated PNG: chunk at byte {pos} claims {length} bytes.");
            }

            var type = BinaryPrimitives.ReadInt32BigEndian(png[(pos + 4)..]);
            var data = png.Slice(pos + 8, (int)length);
            var storedCrc = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + (int)length)..]);
            if (Crc32.Compute(png.Slice(pos + 4, (int)length + 4)) != storedCrc)
            {
                throw new InvalidDataException($"Corrupt PNG: CRC mismatch in chunk '{ChunkName(type)}' at byte {pos}.");
            }

            if (header is null && type != ChunkIhdr)
            {
                throw new InvalidDataException("Corrupt PNG: the first chunk is not IHDR.");
            }

            switch (type)
            {
                case ChunkIhdr:
                    header = Header.Parse(data);
                    break;
                case ChunkPlte:
                    palette = data;
                    break;
                case ChunkTrns:
                    transparency = data;
                    break;
                case ChunkIdat:
                    idat.Add(new Range(pos + 8, pos + 8 + (int)length));
                    idatLength += length;
                    break;
                case ChunkIend:
                    sawEnd = true;
                    break;
                default:
                    // Bit 5 of the first letter clear = critical chunk we do not understand.
                    if ((type & 0x20000000) == 0)
                    {
                        throw new InvalidDataException($"Unsupported critical PNG chunk '{ChunkName(type)}'.");
                    }

                    break;
            }

            // Bytes after IEND are ignored, as Pillow does (furnace.png has one).
            pos += 12 + (int)length;
        }

        var h = header!.Value;
        if (idat.Count == 0)
        {
            throw new InvalidDataException("Corrupt PNG: no IDAT chunk.");
        }

        if (h.ColorType == 3 && (palette.Length == 0 || palette.Length % 3 != 0))
        {
            throw new InvalidDataException("Corrupt PNG: palette image without a valid PLTE chunk.");
        }

        // IDAT payloads form one zlib stream.
        var compressed = new byte[idatLength];
        var offset = 0;
        foreach (var range in idat)
        {
            var part = png[range];
            part.CopyTo(compressed.AsSpan(offset));
            offset += part.Length;
        }

        var stride = h.Stride;
        var raw = Inflate(compressed, checked(h.Height * (stride + 1)));
        Unfilter(raw, h.Height, stride, h.FilterBytesPerPixel);
        return ToRgba(raw, h, palette, transparency);
    }

    /// <summary>Encodes 8-bit interleaved RGB (rows top to bottom) as a PNG (colour type 2, no interlace).</summary>
    public static byte[] EncodeRgb(ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var rowBytes = checked(width * 3);
        if (rgb.Length != checked(rowBytes * height))
        {
            throw new ArgumentException($"Expected {width}x{height}x3 = {(long)rowBytes * height} bytes, got {rgb.Length}.", nameof(rgb));
        }

        using var idat = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
        {
            // Filter type 0 (None) on every row: simple, and the images are small.
            Span<byte> none = [0];
            for (var y = 0; y < height; y++)
            {
                zlib.Write(none);
                zlib.Write(rgb.Slice(y * rowBytes, rowBytes));
            }
        }

        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type RGB
        ihdr[10] = 0; // deflate
        ihdr[11] = 0; // adaptive filtering
        ihdr[12] = 0; // no interlace
        WriteChunk(output, ChunkIhdr, ihdr);
        WriteChunk(output, ChunkIdat, idat.GetBuffer().AsSpan(0, (int)idat.Length));
        WriteChunk(output, ChunkIend, []);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, int type, ReadOnlySpan<byte> data)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(buffer, data.Length);
        BinaryPrimitives.WriteInt32BigEndian(buffer[4..], type);
        output.Write(buffer);
        output.Write(data);
        var crc = Crc32.Update(Crc32.Update(Crc32.Initial, buffer[4..]), data);
        BinaryPrimitives.WriteUInt32BigEndian(buffer, Crc32.Finish(crc));
        output.Write(buffer[..4]);
    }

    private static byte[] Inflate(byte[] compressed, int expectedLength)
    {
        var raw = new byte[expectedLength];
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
            zlib.ReadExactly(raw);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("Corrupt PNG: image data is shorter than the header implies.", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Corrupt PNG: bad zlib data in IDAT ({e.Message}).", e);
        }

        return raw;
    }

    // Reverses the per-row filters in place; each row in `raw` is one filter byte then `stride` bytes.
    private static void Unfilter(byte[] raw, int height, int stride, int bpp)
    {
        for (var y = 0; y < height; y++)
        {
            var rowStart = y * (stride + 1);
            var filter = raw[rowStart];
            var row = raw.AsSpan(rowStart + 1, stride);
            // Row 0 has no predecessor: the filters treat it as zeros.
            var prior = y == 0 ? default : raw.AsSpan(rowStart - stride, stride);
            switch (filter)
            {
                case 0:
                    break;
                case 1:
                    for (var i = bpp; i < stride; i++)
                    {
                        row[i] += row[i - bpp];
                    }

                    break;
                case 2:
                    if (y > 0)
                    {
                        for (var i = 0; i < stride; i++)
                        {
                            row[i] += prior[i];
                        }
                    }

                    break;
                case 3:
                    for (var i = 0; i < stride; i++)
                    {
                        var left = i >= bpp ? row[i - bpp] : 0;
                        var up = y > 0 ? prior[i] : 0;
                        row[i] += (byte)((left + up) >> 1);
                    }

                    break;
                case 4:
                    for (var i = 0; i < stride; i++)
                    {
                        var left = i >= bpp ? row[i - bpp] : 0;
                        var up = y > 0 ? prior[i] : 0;
                        var upLeft = i >= bpp && y > 0 ? prior[i - bpp] : 0;
                        row[i] += Paeth(left, up, upLeft);
                    }

                    break;
                default:
                    throw new InvalidDataException($"Corrupt PNG: unknown filter type {filter} on row {y}.");
            }
        }
    }

    private static byte Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }

    private static RgbaImage ToRgba(byte[] raw, Header h, ReadOnlySpan<byte> palette, ReadOnlySpan<byte> transparency)
    {
        // Only palette transparency becomes an alpha channel; a grey/RGB colour key (tRNS on
        // types 0 and 2) leaves Pillow's image, and so imageio's array, without one.
        var hasAlpha = h.ColorType is 4 or 6 || (h.ColorType == 3 && transparency.Length > 0);
        var image = new RgbaImage(h.Width, h.Height, hasAlpha);
        var output = image.Pixels;
        var stride = h.Stride;
        var depth = h.BitDepth;
        var sampleBytes = depth == 16 ? 2 : 1;

        for (var y = 0; y < h.Height; y++)
        {
            var row = raw.AsSpan((y * (stride + 1)) + 1, stride);
            var o = y * h.Width * 4;
            for (var x = 0; x < h.Width; x++, o += 4)
            {
                switch (h.ColorType)
                {
                    case 0:
                    {
                        var v = depth < 8 ? ScaleToByte(PackedSample(row, x, depth), depth) : row[x * sampleBytes];
                        output[o] = output[o + 1] = output[o + 2] = v;
                        output[o + 3] = 255;
                        break;
                    }

                    case 2:
                    {
                        // 16-bit samples keep their high byte (most significant first).
                        var i = x * 3 * sampleBytes;
                        output[o] = row[i];
                        output[o + 1] = row[i + sampleBytes];
                        output[o + 2] = row[i + (2 * sampleBytes)];
                        output[o + 3] = 255;
                        break;
                    }

                    case 3:
                    {
                        var index = depth < 8 ? PackedSample(row, x, depth) : row[x];
                        if (index * 3 + 2 < palette.Length)
                        {
                            output[o] = palette[index * 3];
                            output[o + 1] = palette[(index * 3) + 1];
                            output[o + 2] = palette[(index * 3) + 2];
                        }
                        else
                        {
                            output[o] = output[o + 1] = output[o + 2] = 0; // index past the palette: black
                        }

                        output[o + 3] = index < transparency.Length ? transparency[index] : (byte)255;
                        break;
                    }

                    case 4:
                    {
                        var i = x * 2 * sampleBytes;
                        output[o] = output[o + 1] = output[o + 2] = row[i];
                        output[o + 3] = row[i + sampleBytes];
                        break;
                    }

                    default: // 6
                    {
                        var i = x * 4 * sampleBytes;
                        output[o] = row[i];
                        output[o + 1] = row[i + sampleBytes];
                        output[o + 2] = row[i + (2 * sampleBytes)];
                        output[o + 3] = row[i + (3 * sampleBytes)];
                        break;
                    }
                }
            }
        }

        return image;
    }

    // Sub-byte samples are packed most significant bits first.
    private static int PackedSample(ReadOnlySpan<byte> row, int x, int depth)
    {
        var bit = x * depth;
        var shift = 8 - depth - (bit & 7);
        return (row[bit >> 3] >> shift) & ((1 << depth) - 1);
    }

    // 1/2/4-bit grey to 8-bit by replicating the bits (v * 255 / max), as Pillow's unpackers do.
    private static byte ScaleToByte(int v, int depth) => (byte)(v * 255 / ((1 << depth) - 1));

    private static string ChunkName(int type)
    {
        Span<char> name = stackalloc char[4];
        for (var i = 0; i < 4; i++)
        {
            var c = (char)((type >> (24 - (8 * i))) & 0xFF);
            name[i] = c is >= ' ' and <= '~' ? c : '?';
        }

        return new string(name);
    }

    private readonly record struct Header(int Width, int Height, int BitDepth, int ColorType)
    {
        private int Channels => ColorType switch
        {
            0 => 1,
            2 => 3,
            3 => 1,
            4 => 2,
            _ => 4,
        };

        public int Stride => (int)((((long)Width * Channels * BitDepth) + 7) / 8);

        // The filters work on whole pixels, or whole bytes when a pixel is smaller than one.
        public int FilterBytesPerPixel => Math.Max(1, Channels * BitDepth / 8);

        public static Header Parse(ReadOnlySpan<byte> data)
        {
            if (data.Length != 13)
            {
                throw new InvalidDataException($"Corrupt PNG: IHDR has {data.Length} bytes, expected 13.");
            }

            var width = BinaryPrimitives.ReadUInt32BigEndian(data);
            var height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
            int depth = data[8];
            int colorType = data[9];
            if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue ||
                (long)width * height > MaxPixels)
            {
                throw new InvalidDataException($"Unsupported PNG size {width}x{height}.");
            }

            var depthOk = colorType switch
            {
                0 => depth is 1 or 2 or 4 or 8 or 16,
                3 => depth is 1 or 2 or 4 or 8,
                2 or 4 or 6 => depth is 8 or 16,
                _ => throw new InvalidDataException($"Corrupt PNG: unknown colour type {colorType}."),
            };
            if (!depthOk)
            {
                throw new InvalidDataException($"Corrupt PNG: bit depth {depth} is not allowed for colour type {colorType}.");
            }

            if (data[10] != 0 || data[11] != 0)
            {
                throw new InvalidDataException("Corrupt PNG: unknown compression or filter method.");
            }

            if (data[12] != 0)
            {
                throw new InvalidDataException(
                    data[12] == 1
                        ? "Interlaced (Adam7) PNGs are not supported."
                        : $"Corrupt PNG: unknown interlace method {data[12]}.");
            }

            return new Header((int)width, (int)height, depth, colorType);
        }
    }

    /// <summary>Table-driven CRC-32 (ISO-HDLC, as PNG and zlib's crc32 use).</summary>
    internal static class Crc32
    {
        public const uint Initial = 0xFFFFFFFFu;

        private static readonly uint[] Table = BuildTable();

        public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Initial, data));

        public static uint Update(uint crc, ReadOnlySpan<byte> data)
        {
            var table = Table;
            foreach (var b in data)
            {
                crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }

            return crc;
        }

        public static uint Finish(uint crc) => crc ^ 0xFFFFFFFFu;

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                var c = n;
                for (var k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                }

                table[n] = c;
            }

            return table;
        }
    }
}
