using System.CommandLine;
using System.CommandLine.Parsing;
using Rollouts.Crafter;
using Rollouts.Crafter.Rendering;
using Spectre.Console;

namespace Rollouts.Cli;

/// <summary>
/// <c>rollouts crafter render</c>: plays one episode and writes its RGB observations as PNG frames or an animated GIF.
/// By default the episode runs at Crafter's standard 64x64 observation (so it is the very episode an agent or a
/// reference trace sees for that seed) and each frame is enlarged to <c>--size</c> by nearest-neighbour scaling.
/// <c>--native</c> instead renders at <c>--size</c> like <c>crafter.Env(size=N)</c>: sharper textures, but at night
/// Crafter draws one noise value per pixel from the world's generator, so the episode then differs from the 64x64 one.
/// </summary>
internal static class RenderCommand
{
    private const int ObservationSize = 64;
    private const long MaxGifFrameBytes = 1L << 30; // frames are kept in memory until the GIF is encoded

    public static Command Create()
    {
        var seed = new Option<long>("--seed") { Description = "Environment seed (crafter.Env(seed=N)); the first episode is played.", Required = true };
        var steps = new Option<int>("--steps") { Description = "Steps to play (fewer if the episode ends first).", DefaultValueFactory = _ => 300 };
        var policy = new Option<string>("--policy") { Description = "How actions are chosen: random (uniform over the 17 actions) or noop.", DefaultValueFactory = _ => "random" };
        policy.AcceptOnlyFromAmong("random", "noop");
        var actionSeed = new Option<int?>("--action-seed") { Description = "Seed of the random policy (default: the environment seed)." };
        var size = new Option<int>("--size") { Description = "Width and height of the written frames in pixels.", DefaultValueFactory = _ => 256 };
        var native = new Option<bool>("--native") { Description = "Render at --size with Crafter's own size option instead of enlarging the 64x64 observation (the night noise then changes the episode)." };
        var outDir = new Option<string?>("--out") { Description = "Directory for frame-00000.png, frame-00001.png, ..." };
        var gif = new Option<string?>("--gif") { Description = "Animated GIF file to write instead of PNG frames." };
        var delay = new Option<int>("--delay") { Description = "GIF frame time in 1/100 s.", DefaultValueFactory = _ => 10 };

        seed.Validators.Add(r => { if (TryGet(r, out long v) && v < 0) r.AddError("--seed must be 0 or more."); });
        steps.Validators.Add(r => { if (TryGet(r, out int v) && v < 0) r.AddError("--steps must be 0 or more."); });
        size.Validators.Add(r =>
        {
            if (TryGet(r, out int s) && (s < 9 || s > 4096)) r.AddError($"--size must be between 9 and 4096 pixels, got {s}.");
        });
        delay.Validators.Add(r =>
        {
            if (TryGet(r, out int d) && (d < 0 || d > ushort.MaxValue)) r.AddError($"--delay must be between 0 and {ushort.MaxValue}, got {d}.");
        });

        var command = new Command("render", "Play an episode and write its frames as PNG files or an animated GIF.");
        foreach (var option in new Option[] { seed, steps, policy, actionSeed, size, native, outDir, gif, delay })
            command.Options.Add(option);
        command.Validators.Add(r =>
        {
            bool hasOut = !string.IsNullOrWhiteSpace(r.GetValue(outDir)), hasGif = !string.IsNullOrWhiteSpace(r.GetValue(gif));
            if (hasOut == hasGif) r.AddError("Give exactly one of --out DIR (PNG frames) or --gif FILE.gif.");
        });

        command.SetAction(parse =>
        {
            var settings = new Settings(
                parse.GetValue(seed),
                parse.GetValue(steps),
                parse.GetValue(policy) == "noop",
                parse.GetValue(actionSeed) ?? (int)(parse.GetValue(seed) & int.MaxValue),
                parse.GetValue(size),
                parse.GetValue(native),
                parse.GetValue(delay));
            try
            {
                return parse.GetValue(gif) is { Length: > 0 } gifPath
                    ? WriteGif(settings, gifPath)
                    : WriteFrames(settings, parse.GetValue(outDir)!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>The option's value, or false when it did not convert (the parser reports that error itself).</summary>
    private static bool TryGet<T>(OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    private sealed record Settings(long Seed, int Steps, bool Noop, int ActionSeed, int Size, bool Native, int Delay)
    {
        public int RenderSize => Native ? Size : ObservationSize;
    }

    /// <summary>Plays the episode, handing each frame (at the render size) to <paramref name="frame"/>; returns the steps played.</summary>
    private static int Play(Settings s, ProgressTask task, Action<int, ReadOnlySpan<byte>> frame)
    {
        var env = new CrafterEnv(s.Seed, new CrafterOptions { RenderPixels = true, ImageWidth = s.RenderSize, ImageHeight = s.RenderSize });
        var actions = new Random(s.ActionSeed);
        env.Reset();
        frame(0, env.Pixels);
        int played = 0;
        while (played < s.Steps)
        {
            var result = env.Step(s.Noop ? (int)CrafterAction.Noop : actions.Next(CrafterNames.ActionCount));
            played++;
            frame(played, env.Pixels);
            task.Increment(1);
            if (result.Done) break;
        }

        task.Value = task.MaxValue;
        return played;
    }

    private static int WriteFrames(Settings s, string directory)
    {
        Directory.CreateDirectory(directory);
        var scaled = new byte[s.Size * s.Size * 3];
        int played = 0;
        AnsiConsole.Progress().AutoClear(false).Start(ctx =>
        {
            var task = ctx.AddTask("Playing and writing frames", maxValue: Math.Max(1, s.Steps));
            played = Play(s, task, (index, rgb) =>
            {
                var png = PngCodec.EncodeRgb(Scale(s, rgb, scaled), s.Size, s.Size);
                // Each frame appears complete or not at all.
                string path = Path.Combine(directory, $"frame-{index:D5}.png");
                string temp = path + ".tmp";
                File.WriteAllBytes(temp, png);
                File.Move(temp, path, overwrite: true);
            });
        });
        Console.WriteLine($"Wrote {played + 1} frames ({s.Size}x{s.Size}, {played} steps) to {directory}");
        return 0;
    }

    private static int WriteGif(Settings s, string path)
    {
        long frameBytes = (long)s.RenderSize * s.RenderSize * 3;
        if ((s.Steps + 1L) * frameBytes > MaxGifFrameBytes)
        {
            Console.Error.WriteLine($"error: {s.Steps + 1} frames of {s.RenderSize}x{s.RenderSize} do not fit in memory for a GIF; use --out, fewer --steps or no --native.");
            return 1;
        }

        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
        {
            Console.Error.WriteLine($"error: the directory {directory} does not exist.");
            return 1;
        }

        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        var frames = new List<byte[]>();
        try
        {
            AnsiConsole.Progress().AutoClear(false).Start(ctx =>
            {
                var playing = ctx.AddTask("Playing", maxValue: Math.Max(1, s.Steps));
                var encoding = ctx.AddTask("Encoding GIF", autoStart: false);
                Play(s, playing, (_, rgb) => frames.Add(rgb.ToArray()));
                encoding.StartTask();
                var scaled = new ScaledFrames(s, frames, encoding);
                // Written beside the target and renamed, so a failure never leaves a truncated GIF behind.
                using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                    GifWriter.Write(stream, scaled, s.Size, s.Size, s.Delay);
                File.Move(temp, full, overwrite: true);
                encoding.Value = encoding.MaxValue;
            });
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }

        Console.WriteLine($"Wrote {full} ({frames.Count} frames, {s.Size}x{s.Size}, {new FileInfo(full).Length / 1024} KiB)");
        return 0;
    }

    /// <summary>The frame at the output size: as rendered with --native, else enlarged nearest-neighbour into <paramref name="buffer"/>.</summary>
    private static ReadOnlySpan<byte> Scale(Settings s, ReadOnlySpan<byte> rgb, byte[] buffer)
    {
        if (s.RenderSize == s.Size) return rgb;
        int src = s.RenderSize, dst = s.Size;
        for (int y = 0; y < dst; y++)
        {
            int sy = y * src / dst;
            for (int x = 0; x < dst; x++)
            {
                int from = (sy * src + x * src / dst) * 3, to = (y * dst + x) * 3;
                buffer[to] = rgb[from];
                buffer[to + 1] = rgb[from + 1];
                buffer[to + 2] = rgb[from + 2];
            }
        }

        return buffer;
    }

    /// <summary>
    /// The stored frames at the output size, scaled when read so that only render-size frames stay in memory.
    /// GifWriter reads each frame a few times in a row (checks, then encoding), so the last one is cached.
    /// </summary>
    private sealed class ScaledFrames(Settings s, List<byte[]> frames, ProgressTask task) : IReadOnlyList<byte[]>
    {
        private readonly byte[] _buffer = new byte[s.Size * s.Size * 3];
        private int _cached = -1;
        private long _reads;

        public int Count => frames.Count;

        public byte[] this[int index]
        {
            get
            {
                // The writer reads each frame about three times (two checks, one encode).
                task.Value = Math.Min(task.MaxValue, task.MaxValue * ++_reads / (3.0 * frames.Count));
                if (s.RenderSize == s.Size) return frames[index];
                if (_cached != index)
                {
                    Scale(s, frames[index], _buffer);
                    _cached = index;
                }

                return _buffer;
            }
        }

        public IEnumerator<byte[]> GetEnumerator()
        {
            for (int i = 0; i < Count; i++) yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
