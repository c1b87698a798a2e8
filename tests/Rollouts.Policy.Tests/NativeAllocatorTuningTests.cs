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
    /// The effect itself: a 16 MB tensor written and freed, again and again. glibc's defaults map a fresh buffer of that
    /// size every time (every page faults in again); with the tuning most new buffers are the last one's memory,
    /// already mapped. Page faults of this thread only, and the writes are done on it (one copy each).
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
        // Sixteen in a row. Some may fault afresh (at first memory that earlier tests freed is reused or not; a
        // malloc that finds its thread's arena locked by another thread is served from a different arena): seen, up
        // to four in a row. With glibc's defaults every one does (4,096 pages each).
        const int rounds = 16;
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
