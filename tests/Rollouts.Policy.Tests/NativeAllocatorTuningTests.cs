using TorchSharp;

namespace Rollouts.Policy.Tests;

public sealed class NativeAllocatorTuningTests
{
    [Theory]
    [InlineData(null, null, true, null)]
    [InlineData("glibc.cpu.hwcaps=-AVX512F", "", true, null)]
    [InlineData(null, "on", true, null)]
    [InlineData(null, "off", true, "skipped: ROLLOUTS_MALLOC_TUNING=off")]
    [InlineData(null, " OFF ", true, "skipped: ROLLOUTS_MALLOC_TUNING=off")]
    [InlineData("glibc.malloc.arena_max=2", null, true, "skipped: GLIBC_TUNABLES sets malloc tunables")]
    [InlineData(null, null, false, "skipped: not Linux")]
    public void It_applies_unless_the_user_tuned_malloc_or_opted_out(string? glibcTunables, string? optOut, bool isLinux, string? expected) =>
        Assert.Equal(expected, NativeAllocatorTuning.SkipReason(glibcTunables, optOut, isLinux));

    /// <summary>
    /// Reuse under the tuning: a 16 MB tensor written and freed, again and again; most new buffers are the last one's
    /// memory, already mapped. Page faults of this thread only, and the writes are done on it (one copy each). This
    /// checks that reuse holds with the tuning, not that the tuning is needed for it: once glibc's moving mmap threshold
    /// has risen (as in a process that has run other tests), its defaults reuse such a buffer too (2026-12-04, an
    /// untracked harness: 16-21 of 32 with the tuning off, 17-21 on). The tuning's effect shows over a whole
    /// generation workload (bench/README.md, 2026-12-03: 250,000-290,000 faults per bench process instead of 450,000-660,000).
    /// </summary>
    [Fact]
    public void A_freed_large_buffer_is_reused_without_faulting_its_pages_in_again()
    {
        if (!OperatingSystem.IsLinux() || NativeAllocatorTuning.SkipReason(Environment.GetEnvironmentVariable("GLIBC_TUNABLES"),
                Environment.GetEnvironmentVariable("ROLLOUTS_MALLOC_TUNING"), OperatingSystem.IsLinux()) is not null)
            return; // the environment turned it off on purpose; the reasons are covered above
        _ = TestVocab.Spec; // loads TorchSharp, which applies the tuning
        Assert.Equal("applied", NativeAllocatorTuning.State);

        const int floats = 4 << 20; // 16 MB, 4,096 pages
        var source = new float[floats];
        long WriteFreshBuffer()
        {
            long before = ThreadMinorFaults();
            using var t = torch.empty(floats);
            using (var data = t.data<float>()) data.CopyFrom(source); // the accessor holds the storage until disposed
            return ThreadMinorFaults() - before;
        }
        // Thirty-two in a row. Some fault afresh in streaks: seen, up to eleven in a row, at the start or later, so
        // sixteen rounds failed about one full test run in four; thirty-two reused 23-31 in eight runs.
        const int rounds = 32;
        var faults = new long[rounds];
        for (int i = 0; i < rounds; i++) faults[i] = WriteFreshBuffer();
        int reused = faults.Count(f => f < 400);
        Assert.True(reused >= rounds / 2,
            $"only {reused} of {rounds} buffers of 4,096 pages were reused after a free; faults: {string.Join(", ", faults)}.");
    }

    private static long ThreadMinorFaults()
    {
        // /proc/thread-self/stat: field 10 (minflt); fields after the parenthesised name start at 3.
        string stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
    }
}
