using System.Runtime.InteropServices;

namespace Rollouts.Policy;

/// <summary>
/// Keeps glibc's malloc from handing libtorch's large CPU buffers back to the kernel after every use.
/// </summary>
/// <remarks>
/// By default glibc serves each request above its (moving) mmap threshold with a fresh mapping and unmaps it on free,
/// so the 4-16 MB activations of a forward pass (a 64 × 128-token prefill of the default model) were faulted in anew
/// on every generation call: 9,000-13,800 minor page faults per call, against 500-1,000 with these settings, and every
/// benchmark pair ran faster tuned (bench/README.md, 2026-12-03: inference efficiency 0.48-0.49 instead of 0.34-0.44
/// for acting outputs). PyTorch's advice for CPU inference, preloading jemalloc or tcmalloc, addresses the same cost;
/// this needs no extra library. The price is memory kept for reuse. Applied once, when TorchSharp loads; skipped when
/// <c>GLIBC_TUNABLES</c> sets malloc tunables of its own or <c>ROLLOUTS_MALLOC_TUNING=off</c>.
/// </remarks>
public static class NativeAllocatorTuning
{
    // mallopt parameters (malloc.h).
    private const int MTrimThreshold = -1;
    private const int MTopPad = -2;
    private const int MMmapThreshold = -3;

    /// <summary>The largest mmap threshold glibc accepts on 64-bit (HEAP_MAX_SIZE / 2): buffers up to this come from the heap.</summary>
    public const int MmapThresholdBytes = 32 * 1024 * 1024;

    /// <summary>Free memory at the heap's top kept for reuse rather than returned to the kernel.</summary>
    public const int TrimThresholdBytes = 1024 * 1024 * 1024;

    /// <summary>Extra memory each heap grows by and keeps: a thread's arena frees a heap that falls empty unless this
    /// much is kept (the trim threshold does not apply there), so this keeps a freed buffer mapped on any thread.</summary>
    public const int TopPadBytes = 64 * 1024 * 1024;

    private static readonly object Gate = new();

    /// <summary>What <see cref="Apply"/> did: "applied", "not applied" before it ran, or "skipped: " and why.</summary>
    public static string State { get; private set; } = "not applied";

    /// <summary>Sets the two thresholds and the top pad (Linux with glibc only); runs once.</summary>
    public static void Apply()
    {
        lock (Gate)
        {
            if (State != "not applied") return;
            State = SkipReason(Environment.GetEnvironmentVariable("GLIBC_TUNABLES"),
                Environment.GetEnvironmentVariable("ROLLOUTS_MALLOC_TUNING"), OperatingSystem.IsLinux()) ?? SetThresholds();
        }
    }

    /// <summary>Why the tuning is skipped, or null when it applies.</summary>
    public static string? SkipReason(string? glibcTunables, string? optOut, bool isLinux)
    {
        if (!isLinux) return "skipped: not Linux";
        if (string.Equals(optOut?.Trim(), "off", StringComparison.OrdinalIgnoreCase)) return "skipped: ROLLOUTS_MALLOC_TUNING=off";
        if (glibcTunables is not null && glibcTunables.Contains("glibc.malloc.", StringComparison.Ordinal))
            return "skipped: GLIBC_TUNABLES sets malloc tunables";
        return null;
    }

    private static string SetThresholds()
    {
        try
        {
            // Setting either threshold turns off glibc's dynamic adjustment of both.
            if (mallopt(MTrimThreshold, TrimThresholdBytes) != 1 || mallopt(MMmapThreshold, MmapThresholdBytes) != 1
                || mallopt(MTopPad, TopPadBytes) != 1)
                return "skipped: mallopt refused the thresholds";
            return "applied";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return "skipped: no glibc mallopt (" + e.GetType().Name + ")";
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}
