using System.Diagnostics;
using System.Globalization;
using Rollouts.Agent;
using Rollouts.Crafter;
using Rollouts.Crafter.Text;

namespace Rollouts.Bench;

/// <summary>Crafter port throughput: single-threaded steps (alone, with the text observation, with the agent's prompt) and
/// resets, allocations per step, and a 64-env vector on all cores.</summary>
internal static class CrafterBenchmark
{
    // The Python reference on this machine kind (shared/crafter/REFERENCE_SPEED.md), for the ratios.
    private const double ReferenceStepsPerSecond = 190; // world update without rendering
    private const double ReferenceStepsWithRenderPerSecond = 170;
    private const double ReferenceResetsPerSecond = 1.30;

    public static void Run(double seconds, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        Warmup();
        var (steps, allocPerStep) = Steps(seconds, withText: false);
        var (stepsText, _) = Steps(seconds, withText: true);
        var (stepsPrompt, promptAllocPerStep) = Steps(seconds, withText: false, withPrompt: true);
        double resets = Resets(seconds);
        double vector = Vector(seconds, 64);
        output.WriteLine($"cores={Environment.ProcessorCount}");
        output.WriteLine(string.Create(inv, $"steps_per_s={steps:F0}"));
        output.WriteLine(string.Create(inv, $"steps_per_s_text={stepsText:F0}"));
        output.WriteLine(string.Create(inv, $"steps_per_s_prompt={stepsPrompt:F0}"));
        output.WriteLine(string.Create(inv, $"prompt_encode_us={(1e6 / stepsPrompt - 1e6 / steps):F2}"));
        output.WriteLine(string.Create(inv, $"prompt_alloc_bytes_per_step={promptAllocPerStep:F2}"));
        output.WriteLine(string.Create(inv, $"resets_per_s={resets:F1}"));
        output.WriteLine(string.Create(inv, $"alloc_bytes_per_step={allocPerStep:F2}"));
        output.WriteLine(string.Create(inv, $"vector64_steps_per_s={vector:F0}"));
        output.WriteLine(string.Create(inv, $"step_speedup_vs_reference={steps / ReferenceStepsPerSecond:F0}"));
        output.WriteLine(string.Create(inv, $"step_text_speedup_vs_reference_rgb={stepsText / ReferenceStepsWithRenderPerSecond:F0}"));
        output.WriteLine(string.Create(inv, $"reset_speedup_vs_reference={resets / ReferenceResetsPerSecond:F0}"));
    }

    private static void Warmup()
    {
        var env = new CrafterEnv(1);
        env.Reset();
        var rng = new Random(1);
        var text = new TextObservation();
        var context = new AgentContext();
        var prompt = new int[ObservationEncoder.MaxTokens + 1];
        for (int i = 0; i < 20000; i++)
        {
            if (env.Step(rng.Next(CrafterNames.ActionCount)).Done) env.Reset();
            if (i % 2 == 0) text.Write(env);
            else ObservationEncoder.EncodePrompt(env, context, prompt);
        }
    }

    /// <summary>Random actions; time spent in resets is excluded so this is the step rate alone. <paramref name="withText"/>:
    /// plus BALROG's text observation; <paramref name="withPrompt"/>: plus the agent's prompt (ObservationEncoder, with its
    /// path finding over the view window), as every rollout step encodes it.</summary>
    private static (double StepsPerSecond, double AllocBytesPerStep) Steps(double seconds, bool withText, bool withPrompt = false)
    {
        var context = new AgentContext();
        var prompt = new int[ObservationEncoder.MaxTokens + 1];
        var env = new CrafterEnv(7, new CrafterOptions { Length = 10000 });
        var text = new TextObservation();
        var rng = new Random(7);
        env.Reset();
        long resetTicks = 0, resetBytes = 0;
        long steps = 0;
        long start = Stopwatch.GetTimestamp();
        long bytesBefore = GC.GetAllocatedBytesForCurrentThread();
        long deadline = start + (long)(seconds * Stopwatch.Frequency);
        while (true)
        {
            for (int i = 0; i < 1000; i++)
            {
                var result = env.Step(rng.Next(CrafterNames.ActionCount));
                if (withText) text.Write(env);
                if (withPrompt) ObservationEncoder.EncodePrompt(env, context, prompt);
                steps++;
                if (result.Done)
                {
                    long r0 = Stopwatch.GetTimestamp();
                    long b0 = GC.GetAllocatedBytesForCurrentThread();
                    env.Reset();
                    resetBytes += GC.GetAllocatedBytesForCurrentThread() - b0;
                    resetTicks += Stopwatch.GetTimestamp() - r0;
                }
            }
            if (Stopwatch.GetTimestamp() >= deadline) break;
        }
        long elapsed = Stopwatch.GetTimestamp() - start - resetTicks;
        long bytes = GC.GetAllocatedBytesForCurrentThread() - bytesBefore - resetBytes;
        return (steps / (elapsed / (double)Stopwatch.Frequency), bytes / (double)steps);
    }

    private static double Resets(double seconds)
    {
        var env = new CrafterEnv(11);
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(seconds * Stopwatch.Frequency);
        int resets = 0;
        do
        {
            env.Reset();
            resets++;
        } while (Stopwatch.GetTimestamp() < deadline);
        return resets / ((Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency);
    }

    /// <summary>64 environments stepped together on all cores, resets included (auto-reset), as a trainer sees them.</summary>
    private static double Vector(double seconds, int count)
    {
        var vector = CrafterVectorEnv.WithConsecutiveSeeds(1000, count);
        vector.Reset();
        var actions = new int[count];
        var results = new StepResult[count];
        var rng = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            for (int j = 0; j < count; j++) actions[j] = rng.Next(CrafterNames.ActionCount);
            vector.Step(actions, results);
        }
        long steps = 0;
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(seconds * Stopwatch.Frequency);
        do
        {
            for (int j = 0; j < count; j++) actions[j] = rng.Next(CrafterNames.ActionCount);
            vector.Step(actions, results);
            steps += count;
        } while (Stopwatch.GetTimestamp() < deadline);
        return steps / ((Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency);
    }
}
