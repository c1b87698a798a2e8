using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Rollouts.Crafter.Objects;

namespace Rollouts.Crafter.Traces;

/// <summary>
/// Replays reference traces (format <c>crafter-trace/1</c>, gzip'd JSON lines; see <c>shared/crafter/traces/README.md</c>)
/// and reports the first field where the port differs, naming the file, the step and the field.
/// </summary>
public static class TraceVerifier
{
    /// <param name="path">An episode file or a world-dump file.</param>
    /// <param name="comparePixels">Also render every frame and compare its byte sum with <c>obs_sum</c> (reported, not a failure).</param>
    public static TraceVerification Verify(string path, bool comparePixels = false)
    {
        if (!File.Exists(path)) throw new TraceFormatException($"{path}: no such file.");
        try
        {
            return VerifyFile(path, comparePixels);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or IndexOutOfRangeException
                                      or ArgumentException or KeyNotFoundException)
        {
            throw new TraceFormatException($"{path}: a field has the wrong type or shape ({e.Message}).", e);
        }
    }

    private static TraceVerification VerifyFile(string path, bool comparePixels)
    {
        using var lines = new TraceLines(path);
        if (!lines.TryNext(out var header))
            throw new TraceFormatException($"{path}: the file is empty.");
        using (header)
        {
            var root = header.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new TraceFormatException($"{path}:1: expected a JSON object, found {root.ValueKind}.");
            if (root.TryGetProperty("format", out var format))
            {
                string? name = format.ValueKind == JsonValueKind.String ? format.GetString() : format.ToString();
                if (name != "crafter-trace/1")
                    throw new TraceFormatException($"{path}:1: unsupported trace format '{name}' (expected 'crafter-trace/1').");
                return VerifyEpisode(path, root, lines, comparePixels);
            }
            if (root.TryGetProperty("material_map", out _) && root.TryGetProperty("seed", out _))
                return VerifyWorlds(path, root, lines);
            throw new TraceFormatException($"{path}:1: not a Crafter trace (no 'format' header and not a world dump).");
        }
    }

    private static TraceVerification VerifyEpisode(string path, JsonElement header, TraceLines lines, bool comparePixels)
    {
        long seed = Field(path, 1, header, "seed").GetInt64();
        int length = Field(path, 1, header, "length").GetInt32();
        int[] area = IntArray(path, 1, Field(path, 1, header, "area"));
        int[] view = IntArray(path, 1, Field(path, 1, header, "view"));
        int[] size = IntArray(path, 1, Field(path, 1, header, "size"));
        int episode = header.TryGetProperty("episode", out var ep) ? ep.GetInt32() : 1;
        var options = new CrafterOptions
        {
            AreaWidth = area[0], AreaHeight = area[1], ViewWidth = view[0], ViewHeight = view[1],
            ImageWidth = size[0], ImageHeight = size[1], Length = length, RenderPixels = comparePixels,
        };
        var env = new CrafterEnv(seed, options);
        for (int e = 0; e < episode; e++) env.Reset();

        if (header.TryGetProperty("world_seed", out var ws) && ws.GetInt64() != Engine.PythonHash.WorldSeed(seed, episode))
            return new TraceVerification(path, "episode", false, 0,
                $"header: world_seed expected {ws.GetInt64()}, got {Engine.PythonHash.WorldSeed(seed, episode)}");

        var frames = new FrameStats();
        var reset = Field(path, 1, header, "reset");
        var expectedMap = new byte[env.World.MaterialMap.Length];
        string? diff = CompareMap(path, 1, env, Field(path, 1, reset, "material_map"), expectedMap)
            ?? CompareObjects(path, 1, env, Field(path, 1, reset, "objects"))
            ?? ComparePlayer(path, 1, env.Player, Field(path, 1, reset, "player"))
            ?? CompareRng(path, 1, env, Field(path, 1, reset, "rng"))
            ?? CompareDaylight(0, Field(path, 1, reset, "daylight").GetDouble(), env.World.Daylight);
        if (diff is not null) return new TraceVerification(path, "episode", false, 0, "reset: " + diff);
        if (comparePixels) frames.Add(reset, env);

        int steps = 0;
        int lineNumber = 1;
        bool ended = false;
        while (lines.TryNext(out var doc))
        {
            lineNumber++;
            using (doc)
            {
                var row = doc.RootElement;
                int t = Field(path, lineNumber, row, "t").GetInt32();
                int action = Field(path, lineNumber, row, "a").GetInt32();
                if (t != steps + 1) throw new TraceFormatException($"{path}:{lineNumber}: expected step {steps + 1}, found t={t}.");
                if ((uint)action >= CrafterNames.ActionCount)
                    throw new TraceFormatException($"{path}:{lineNumber}: unknown action id {action} (Crafter has 0..{CrafterNames.ActionCount - 1}).");
                if (ended)
                    return new TraceVerification(path, "episode", false, steps, $"step {t}: the trace goes on after the port's episode ended");
                var result = env.Step(action);
                ended = result.Done;
                steps++;
                foreach (var cell in Field(path, lineNumber, row, "mat").EnumerateArray())
                {
                    int x = cell[0].GetInt32(), y = cell[1].GetInt32();
                    expectedMap[x * env.World.Height + y] = (byte)cell[2].GetInt32();
                }
                diff = CompareMapAgainst(env, expectedMap)
                    ?? CompareDouble("reward", Field(path, lineNumber, row, "r").GetDouble(), Math.Round(result.Reward, 6))
                    ?? CompareBool("done", Field(path, lineNumber, row, "done").GetBoolean(), result.Done)
                    ?? CompareDouble("discount", Field(path, lineNumber, row, "discount").GetDouble(), result.Discount)
                    ?? CompareDaylight(t, Field(path, lineNumber, row, "daylight").GetDouble(), env.World.Daylight)
                    ?? CompareObjects(path, lineNumber, env, Field(path, lineNumber, row, "obj"))
                    ?? ComparePlayer(path, lineNumber, env.Player, Field(path, lineNumber, row, "player"))
                    ?? CompareRng(path, lineNumber, env, Field(path, lineNumber, row, "rng"));
                if (diff is not null)
                    return new TraceVerification(path, "episode", false, steps, $"step {t}: {diff}",
                        frames.Compared, frames.Identical, frames.Largest);
                if (comparePixels) frames.Add(row, env);
            }
        }
        if (steps == 0) throw new TraceFormatException($"{path}: the episode has a header but no steps.");
        return new TraceVerification(path, "episode", true, steps, null, frames.Compared, frames.Identical, frames.Largest);
    }

    private static TraceVerification VerifyWorlds(string path, JsonElement first, TraceLines lines)
    {
        int count = 0;
        int lineNumber = 1;
        JsonDocument? next = null;
        var current = first;
        while (true)
        {
            long seed = Field(path, lineNumber, current, "seed").GetInt64();
            var env = new CrafterEnv(seed);
            env.Reset();
            var expected = new byte[env.World.MaterialMap.Length];
            string? diff = null;
            if (current.TryGetProperty("world_seed", out var ws) && ws.GetInt64() != Engine.PythonHash.WorldSeed(seed, 1))
                diff = $"world_seed expected {ws.GetInt64()}, got {Engine.PythonHash.WorldSeed(seed, 1)}";
            diff ??= CompareMap(path, lineNumber, env, Field(path, lineNumber, current, "material_map"), expected)
                ?? CompareObjects(path, lineNumber, env, Field(path, lineNumber, current, "objects"))
                ?? CompareRng(path, lineNumber, env, Field(path, lineNumber, current, "rng"));
            count++;
            if (diff is not null)
            {
                next?.Dispose();
                return new TraceVerification(path, "worlds", false, count, $"world seed {seed} (line {lineNumber}): {diff}");
            }
            next?.Dispose();
            if (!lines.TryNext(out next)) break;
            lineNumber++;
            current = next.RootElement;
        }
        return new TraceVerification(path, "worlds", true, count, null);
    }

    private static string? CompareMap(string path, int line, CrafterEnv env, JsonElement rows, byte[] expected)
    {
        int w = env.World.Width, h = env.World.Height;
        if (rows.GetArrayLength() != w) throw new TraceFormatException($"{path}:{line}: material_map has {rows.GetArrayLength()} rows, expected {w}.");
        int x = 0;
        foreach (var row in rows.EnumerateArray())
        {
            if (row.GetArrayLength() != h) throw new TraceFormatException($"{path}:{line}: material_map row {x} has {row.GetArrayLength()} cells, expected {h}.");
            int y = 0;
            foreach (var cell in row.EnumerateArray()) expected[x * h + y++] = (byte)cell.GetInt32();
            x++;
        }
        return CompareMapAgainst(env, expected);
    }

    private static string? CompareMapAgainst(CrafterEnv env, byte[] expected)
    {
        var actual = env.World.MaterialMap;
        int h = env.World.Height;
        for (int i = 0; i < expected.Length; i++)
            if (actual[i] != expected[i])
                return $"material at ({i / h}, {i % h}) expected {MaterialName(expected[i])}, got {MaterialName(actual[i])}";
        return null;
    }

    private static string MaterialName(byte id) => id < CrafterNames.Materials.Length ? CrafterNames.Materials[id] : $"#{id}";

    private static string? CompareObjects(string path, int line, CrafterEnv env, JsonElement rows)
    {
        int index = 0;
        var slots = env.World.ObjectSlots;
        int slot = 0;
        foreach (var row in rows.EnumerateArray())
        {
            GameObject? obj = null;
            while (slot < slots.Count && (obj = slots[slot++]) is null) { }
            if (obj is null) return $"objects[{index}] expected {Describe(row)}, got no object (the port has {index})";
            string actual = Describe(obj);
            string expected = Describe(row);
            if (actual != expected) return $"objects[{index}] expected {expected}, got {actual}";
            index++;
        }
        while (slot < slots.Count)
        {
            var extra = slots[slot++];
            if (extra is not null) return $"objects[{index}] expected no object (the trace has {index}), got {Describe(extra)}";
        }
        return null;
    }

    private static string Describe(JsonElement row)
    {
        var sb = new StringBuilder();
        int i = 0;
        foreach (var v in row.EnumerateArray())
        {
            if (i == 0) sb.Append(v.GetInt32() is var k && k >= 0 && k < CrafterNames.ObjectKinds.Length ? CrafterNames.ObjectKinds[k] : $"kind#{k}");
            else if (i == 1) sb.Append(" at (").Append(v.GetInt32());
            else if (i == 2) sb.Append(", ").Append(v.GetInt32()).Append(')');
            else if (i == 3) sb.Append(" health ").Append(v.GetInt32());
            else sb.Append(' ').Append(v.GetInt32());
            i++;
        }
        return sb.ToString();
    }

    private static string Describe(GameObject obj)
    {
        var sb = new StringBuilder();
        sb.Append(CrafterNames.ObjectKinds[(int)obj.Kind]).Append(" at (").Append(obj.X).Append(", ").Append(obj.Y)
            .Append(") health ").Append(obj.Health);
        switch (obj)
        {
            case Zombie z: sb.Append(' ').Append(z.Cooldown); break;
            case Skeleton s: sb.Append(' ').Append(s.Reload); break;
            case Arrow a: sb.Append(' ').Append(a.FacingX).Append(' ').Append(a.FacingY); break;
            case Plant p: sb.Append(' ').Append(p.Grown); break;
        }
        return sb.ToString();
    }

    private static string? ComparePlayer(string path, int line, Player player, JsonElement expected)
    {
        int[] pos = IntArray(path, line, Field(path, line, expected, "pos"));
        if (pos[0] != player.X || pos[1] != player.Y) return $"player.pos expected ({pos[0]}, {pos[1]}), got ({player.X}, {player.Y})";
        int[] facing = IntArray(path, line, Field(path, line, expected, "facing"));
        if (facing[0] != player.FacingX || facing[1] != player.FacingY)
            return $"player.facing expected ({facing[0]}, {facing[1]}), got ({player.FacingX}, {player.FacingY})";
        int[] inv = IntArray(path, line, Field(path, line, expected, "inv"));
        for (int i = 0; i < inv.Length; i++)
            if (inv[i] != player.Inventory[i]) return $"player.inv[{CrafterNames.Items[i]}] expected {inv[i]}, got {player.Inventory[i]}";
        int[] ach = IntArray(path, line, Field(path, line, expected, "ach"));
        for (int i = 0; i < ach.Length; i++)
            if (ach[i] != player.Achievements[i]) return $"player.ach[{CrafterNames.Achievements[i]}] expected {ach[i]}, got {player.Achievements[i]}";
        bool sleeping = Field(path, line, expected, "sleeping").GetBoolean();
        if (sleeping != player.Sleeping) return $"player.sleeping expected {sleeping}, got {player.Sleeping}";
        var counters = Field(path, line, expected, "counters");
        string[] names = ["hunger", "thirst", "fatigue", "recover"];
        double[] actual = [player.Hunger, player.Thirst, player.Fatigue, player.Recover];
        int c = 0;
        foreach (var v in counters.EnumerateArray())
        {
            if (c >= 4) break;
            if (v.GetDouble() != actual[c]) return $"player.{names[c]} expected {v.GetDouble()}, got {actual[c]}";
            c++;
        }
        return null;
    }

    private static string? CompareRng(string path, int line, CrafterEnv env, JsonElement rng)
    {
        int[] state = IntArrayLong(path, line, rng, out long word);
        var random = env.World.Random;
        if (state[0] != random.Position || word != random.WordAtPosition)
            return $"rng expected [{state[0]}, {word}], got [{random.Position}, {random.WordAtPosition}]";
        return null;
    }

    private static string? CompareDouble(string name, double expected, double actual)
        => expected == actual ? null : $"{name} expected {expected:R}, got {actual:R}";

    /// <summary>
    /// Daylight must be identical for the steps whose numpy value the port embeds (see <see cref="Engine.Daylight"/>);
    /// later steps are computed with the platform's cosine and may differ from numpy's SIMD cosine by a few ulps,
    /// so there they agree to within <see cref="DaylightTolerance"/>.
    /// </summary>
    public const double DaylightTolerance = 1e-12;

    private static string? CompareDaylight(int step, double expected, double actual)
    {
        bool same = step <= Engine.Daylight.TableSteps ? expected == actual : Math.Abs(expected - actual) <= DaylightTolerance;
        return same ? null : $"daylight expected {expected:R}, got {actual:R}";
    }

    private static string? CompareBool(string name, bool expected, bool actual)
        => expected == actual ? null : $"{name} expected {expected}, got {actual}";

    private static JsonElement Field(string path, int line, JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var value))
            throw new TraceFormatException($"{path}:{line}: missing field '{name}'.");
        return value;
    }

    private static int[] IntArray(string path, int line, JsonElement array)
    {
        if (array.ValueKind != JsonValueKind.Array) throw new TraceFormatException($"{path}:{line}: expected an array, found {array.ValueKind}.");
        var result = new int[array.GetArrayLength()];
        int i = 0;
        foreach (var v in array.EnumerateArray()) result[i++] = v.GetInt32();
        return result;
    }

    private static int[] IntArrayLong(string path, int line, JsonElement array, out long second)
    {
        if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() != 2)
            throw new TraceFormatException($"{path}:{line}: 'rng' must be [pos, word].");
        second = array[1].GetInt64();
        return [array[0].GetInt32()];
    }

    private sealed class FrameStats
    {
        public int Compared;
        public int Identical;
        public long Largest;

        public void Add(JsonElement row, CrafterEnv env)
        {
            if (!row.TryGetProperty("obs_sum", out var sum)) return;
            long actual = 0;
            foreach (byte b in env.Pixels) actual += b;
            long d = Math.Abs(actual - sum.GetInt64());
            Compared++;
            if (d == 0) Identical++;
            Largest = Math.Max(Largest, d);
        }
    }

    /// <summary>Reads JSON lines from a gzip'd file, turning I/O and parse failures into <see cref="TraceFormatException"/>.</summary>
    private sealed class TraceLines : IDisposable
    {
        private readonly string _path;
        private readonly StreamReader _reader;
        private int _line;

        public TraceLines(string path)
        {
            _path = path;
            var file = File.OpenRead(path);
            Stream stream = file;
            var magic = new byte[2];
            int n = file.Read(magic, 0, 2);
            file.Position = 0;
            if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) stream = new GZipStream(file, CompressionMode.Decompress);
            _reader = new StreamReader(stream, Encoding.UTF8);
        }

        public bool TryNext(out JsonDocument document)
        {
            string? text;
            try
            {
                do
                {
                    text = _reader.ReadLine();
                    _line++;
                } while (text is not null && text.Length == 0);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                throw new TraceFormatException($"{_path}:{_line}: the file is corrupt or truncated ({e.Message}).", e);
            }
            if (text is null)
            {
                document = null!;
                return false;
            }
            try
            {
                document = JsonDocument.Parse(text);
                return true;
            }
            catch (JsonException e)
            {
                throw new TraceFormatException($"{_path}:{_line}: not valid JSON ({e.Message}).", e);
            }
        }

        public void Dispose() => _reader.Dispose();
    }
}
