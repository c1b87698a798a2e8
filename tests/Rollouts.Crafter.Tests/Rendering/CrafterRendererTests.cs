using System.Text.Json;
using Rollouts.Crafter.Rendering;

namespace Rollouts.Crafter.Tests.Rendering;

/// <summary>
/// The renderer against the reference traces' <c>obs_sum</c> (the byte sum of Crafter's 64x64x3 observation),
/// its effect on the world generator, and its allocations.
/// </summary>
public class CrafterRendererTests
{
    // 300 steps of one episode with a full night, sleeping by day and by night.
    private const string NightAndSleepTrace = "shared-seed11-idle-300.jsonl.gz";

    public static IEnumerable<object[]> EpisodeTraces() =>
        SharedData.TraceFiles().Where(f => !((string)f[0]).StartsWith("shared-worlds-", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(EpisodeTraces))]
    public void Reset_frame_matches_the_trace(string file)
    {
        var trace = Trace.Load(file);
        var env = trace.NewEnv();
        env.Reset();
        Assert.Equal(trace.ResetSum, PixelSum(env));
    }

    [Theory]
    [InlineData("night")]
    [InlineData("sleeping by day")]
    [InlineData("sleeping at night")]
    public void Night_and_sleep_frames_match_the_trace(string kind)
    {
        var trace = Trace.Load(NightAndSleepTrace);
        Func<Step, bool> wanted = kind switch
        {
            "night" => s => s.Daylight < 0.5 && !s.Sleeping,
            "sleeping by day" => s => s.Daylight >= 0.5 && s.Sleeping,
            _ => s => s.Daylight < 0.5 && s.Sleeping,
        };
        var target = trace.Steps.First(wanted);

        var env = trace.NewEnv();
        env.Reset();
        foreach (var step in trace.Steps)
        {
            env.Step(step.Action);
            if (step.T == target.T) break;
        }

        Assert.Equal(target.Sleeping, env.Player.Sleeping);
        Assert.Equal(target.ObsSum, PixelSum(env));
    }

    [Fact]
    public void Every_frame_of_a_trace_with_night_and_sleep_matches()
    {
        var trace = Trace.Load(NightAndSleepTrace);
        var env = trace.NewEnv();
        env.Reset();
        var mismatches = new List<string>();
        foreach (var step in trace.Steps)
        {
            env.Step(step.Action);
            long sum = PixelSum(env);
            if (sum != step.ObsSum) mismatches.Add($"t={step.T}: {sum} != {step.ObsSum}");
        }

        Assert.True(trace.Steps.Count >= 300, "The trace should cover a full day.");
        Assert.Empty(mismatches);
    }

    [Fact]
    public void Rendering_leaves_the_generator_where_skipping_it_does()
    {
        // 400 steps cross the first night (steps ~148 to ~270), when every frame draws noise.
        var on = new CrafterEnv(7, new CrafterOptions { RenderPixels = true });
        var off = new CrafterEnv(7, new CrafterOptions { RenderPixels = false });
        on.Reset();
        off.Reset();
        var actions = new Random(11);
        for (int t = 1; t <= 400; t++)
        {
            int action = actions.Next(CrafterNames.ActionCount);
            on.Step(action);
            off.Step(action);
            Assert.Equal(off.World.Random.Position, on.World.Random.Position);
            Assert.Equal(off.World.Random.WordAtPosition, on.World.Random.WordAtPosition);
        }
    }

    [Fact]
    public void Render_allocates_nothing_after_warm_up()
    {
        var env = new CrafterEnv(3, new CrafterOptions { RenderPixels = false });
        env.Reset();
        var renderer = new CrafterRenderer(env.Options);
        var rgb = new byte[64 * 64 * 3];
        double[] daylights = [1.0, 0.7, 0.3, 0.0];
        foreach (double d in daylights)
        {
            env.World.Daylight = d;
            renderer.Render(env.World, env.Player, rgb);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            env.World.Daylight = daylights[i % daylights.Length];
            renderer.Render(env.World, env.Player, rgb);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Larger_sizes_centre_the_view_with_a_black_border()
    {
        // 100 / 9 = 11 pixels a cell: 99 pixels of view, so a one-pixel border on the right and bottom.
        var env = new CrafterEnv(5, new CrafterOptions { RenderPixels = true, ImageWidth = 100, ImageHeight = 100 });
        env.Reset();
        var pixels = env.Pixels;
        Assert.Equal(100 * 100 * 3, pixels.Length);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(0, Pixel(pixels, 100, 99, i));
            Assert.Equal(0, Pixel(pixels, 100, i, 99));
        }

        Assert.NotEqual(0, Pixel(pixels, 100, 50, 50));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new CrafterRenderer(new CrafterOptions { ViewWidth = 4, ViewHeight = 3 }));
        var env = new CrafterEnv(1);
        env.Reset();
        var renderer = new CrafterRenderer(env.Options);
        Assert.Throws<ArgumentException>(() => renderer.Render(env.World, env.Player, new byte[10]));
    }

    private static int Pixel(ReadOnlySpan<byte> rgb, int width, int x, int y)
    {
        int i = (y * width + x) * 3;
        return rgb[i] + rgb[i + 1] + rgb[i + 2];
    }

    private static long PixelSum(CrafterEnv env)
    {
        long sum = 0;
        foreach (byte b in env.Pixels) sum += b;
        return sum;
    }

    private sealed record Step(int T, int Action, double Daylight, bool Sleeping, long ObsSum);

    private sealed record Trace(long Seed, int Length, long ResetSum, List<Step> Steps)
    {
        public static Trace Load(string file)
        {
            var lines = TraceTestFiles.ReadLines(Path.Combine(SharedData.TracesDirectory, file));
            using var header = JsonDocument.Parse(lines[0]);
            var root = header.RootElement;
            var steps = new List<Step>(lines.Count - 1);
            foreach (string line in lines.Skip(1))
            {
                using var row = JsonDocument.Parse(line);
                var r = row.RootElement;
                steps.Add(new Step(
                    r.GetProperty("t").GetInt32(),
                    r.GetProperty("a").GetInt32(),
                    r.GetProperty("daylight").GetDouble(),
                    r.GetProperty("player").GetProperty("sleeping").GetBoolean(),
                    r.GetProperty("obs_sum").GetInt64()));
            }

            return new Trace(
                root.GetProperty("seed").GetInt64(),
                root.GetProperty("length").GetInt32(),
                root.GetProperty("reset").GetProperty("obs_sum").GetInt64(),
                steps);
        }

        public CrafterEnv NewEnv() => new(Seed, new CrafterOptions { Length = Length, RenderPixels = true });
    }
}
