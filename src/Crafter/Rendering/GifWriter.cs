namespace Rollouts.Crafter.Rendering;

/// <summary>
/// Writes an animated GIF89a from 8-bit RGB frames of one size. Colours are mapped to a fixed
/// 6x7x6 colour cube (252 colours, green gets the extra level because the eye is most sensitive
/// to it) in one global palette, so frames need no per-frame palette; good enough for replays.
/// </summary>
public static class GifWriter
{
    private const int RedLevels = 6;
    private const int GreenLevels = 7;
    private const int BlueLevels = 6;
    private const int MinCodeSize = 8; // 256-entry palette
    private const int MaxCodes = 4096; // GIF's 12-bit code limit

    /// <summary>Encodes the frames as a GIF and returns its bytes.</summary>
    /// <param name="rgbFrames">Interleaved RGB, rows top to bottom, each width * height * 3 bytes.</param>
    /// <param name="delayCentiseconds">Time each frame is shown, in 1/100 s (0..65535).</param>
    /// <param name="loopCount">Netscape loop count; 0 loops forever.</param>
    public static byte[] Encode(IReadOnlyList<byte[]> rgbFrames, int width, int height, int delayCentiseconds, int loopCount = 0)
    {
        using var stream = new MemoryStream();
        Write(stream, rgbFrames, width, height, delayCentiseconds, loopCount);
        return stream.ToArray();
    }

    /// <inheritdoc cref="Encode"/>
    public static void Write(Stream output, IReadOnlyList<byte[]> rgbFrames, int width, int height, int delayCentiseconds, int loopCount = 0)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(rgbFrames);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegative(delayCentiseconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(delayCentiseconds, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegative(loopCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(loopCount, ushort.MaxValue);
        if (rgbFrames.Count == 0)
        {
            throw new ArgumentException("A GIF needs at least one frame.", nameof(rgbFrames));
        }

        var frameBytes = width * height * 3;
        for (var i = 0; i < rgbFrames.Count; i++)
        {
            if (rgbFrames[i] is null || rgbFrames[i].Length != frameBytes)
            {
                throw new ArgumentException($"Frame {i} is not {width}x{height}x3 = {frameBytes} bytes.", nameof(rgbFrames));
            }
        }

        // Header and logical screen descriptor: global colour table of 2^(7+1) = 256 entries.
        output.Write("GIF89a"u8);
        WriteUInt16(output, width);
        WriteUInt16(output, height);
        output.WriteByte(0xF7); // global table present, 8-bit colour resolution, 256 entries
        output.WriteByte(0); // background colour index
        output.WriteByte(0); // no aspect ratio
        output.Write(BuildPalette());

        // NETSCAPE2.0 application extension: loop count.
        output.Write([0x21, 0xFF, 0x0B]);
        output.Write("NETSCAPE2.0"u8);
        output.Write([0x03, 0x01]);
        WriteUInt16(output, loopCount);
        output.WriteByte(0);

        var indices = new byte[width * height];
        var encoder = new LzwEncoder(output);
        foreach (var frame in rgbFrames)
        {
            // Graphic control extension: delay, no transparency, disposal "do not dispose".
            output.Write([0x21, 0xF9, 0x04, 0x04]);
            WriteUInt16(output, delayCentiseconds);
            output.Write([0x00, 0x00]);

            // Image descriptor: full frame, no local table, not interlaced.
            output.WriteByte(0x2C);
            WriteUInt16(output, 0);
            WriteUInt16(output, 0);
            WriteUInt16(output, width);
            WriteUInt16(output, height);
            output.WriteByte(0);

            for (int p = 0, i = 0; p < indices.Length; p++, i += 3)
            {
                indices[p] = PaletteIndex(frame[i], frame[i + 1], frame[i + 2]);
            }

            output.WriteByte(MinCodeSize);
            encoder.Encode(indices);
        }

        output.WriteByte(0x3B); // trailer
    }

    /// <summary>The palette index of the cube colour nearest to (r, g, b), channel by channel.</summary>
    internal static byte PaletteIndex(byte r, byte g, byte b)
    {
        var ri = ((r * (RedLevels - 1)) + 127) / 255;
        var gi = ((g * (GreenLevels - 1)) + 127) / 255;
        var bi = ((b * (BlueLevels - 1)) + 127) / 255;
        return (byte)((((ri * GreenLevels) + gi) * BlueLevels) + bi);
    }

    internal static byte[] BuildPalette()
    {
        var palette = new byte[256 * 3]; // entries past the cube stay black
        for (var ri = 0; ri < RedLevels; ri++)
        {
            for (var gi = 0; gi < GreenLevels; gi++)
            {
                for (var bi = 0; bi < BlueLevels; bi++)
                {
                    var index = (((ri * GreenLevels) + gi) * BlueLevels) + bi;
                    palette[index * 3] = Level(ri, RedLevels);
                    palette[(index * 3) + 1] = Level(gi, GreenLevels);
                    palette[(index * 3) + 2] = Level(bi, BlueLevels);
                }
            }
        }

        return palette;
    }

    private static byte Level(int i, int levels) => (byte)(((i * 255) + ((levels - 1) / 2)) / (levels - 1));

    private static void WriteUInt16(Stream output, int value)
    {
        output.WriteByte((byte)value);
        output.WriteByte((byte)(value >> 8));
    }

    /// <summary>Variable-width LZW as GIF defines it, written in 255-byte sub-blocks.</summary>
    private sealed class LzwEncoder(Stream output)
    {
        private const int TableSize = 8192; // power of two above 4096 for open addressing
        private const int ClearCode = 1 << MinCodeSize;
        private const int EndCode = ClearCode + 1;

        private readonly int[] keys = new int[TableSize];
        private readonly short[] values = new short[TableSize];
        private readonly byte[] block = new byte[256];
        private int blockLength;
        private int bitBuffer;
        private int bitCount;
        private int codeSize;
        private int nextCode;

        public void Encode(ReadOnlySpan<byte> indices)
        {
            bitBuffer = 0;
            bitCount = 0;
            blockLength = 0;
            Reset();
            Emit(ClearCode);

            int prefix = indices[0];
            for (var i = 1; i < indices.Length; i++)
            {
                int k = indices[i];
                var key = (prefix << 8) | k;
                var slot = Find(key);
                if (keys[slot] == key)
                {
                    prefix = values[slot];
                    continue;
                }

                EmitData(prefix);
                if (nextCode < MaxCodes)
                {
                    keys[slot] = key;
                    values[slot] = (short)nextCode++;
                }
                else
                {
                    // Table full: start over, as the decoder will on the clear code.
                    Emit(ClearCode);
                    Reset();
                }

                prefix = k;
            }

            EmitData(prefix);
            Emit(EndCode);
            if (bitCount > 0)
            {
                AddByte((byte)bitBuffer);
            }

            FlushBlock();
            output.WriteByte(0); // block terminator
        }

        private void Reset()
        {
            Array.Fill(keys, -1);
            codeSize = MinCodeSize + 1;
            nextCode = EndCode + 1;
        }

        private int Find(int key)
        {
            var slot = (int)(((uint)key * 2654435761u) >> 19); // Fibonacci hash to 13 bits
            while (keys[slot] != -1 && keys[slot] != key)
            {
                slot = (slot + 1) & (TableSize - 1);
            }

            return slot;
        }

        // A data code; afterwards widen the codes once the decoder's table (which trails ours
        // by one entry) reaches 2^codeSize, as the classic compress/GIFENCOD encoders do.
        private void EmitData(int code)
        {
            Emit(code);
            if (nextCode >= (1 << codeSize) && codeSize < 12)
            {
                codeSize++;
            }
        }

        private void Emit(int code)
        {
            bitBuffer |= code << bitCount;
            bitCount += codeSize;
            while (bitCount >= 8)
            {
                AddByte((byte)bitBuffer);
                bitBuffer >>= 8;
                bitCount -= 8;
            }
        }

        private void AddByte(byte b)
        {
            block[blockLength++] = b;
            if (blockLength == 255)
            {
                FlushBlock();
            }
        }

        private void FlushBlock()
        {
            if (blockLength == 0)
            {
                return;
            }

            output.WriteByte((byte)blockLength);
            output.Write(block, 0, blockLength);
            blockLength = 0;
        }
    }
}
