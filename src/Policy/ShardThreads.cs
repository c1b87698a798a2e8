using System.Runtime.ExceptionServices;
using TorchSharp;

namespace Rollouts.Policy;

/// <summary>
/// Long-lived threads that run one job each per <see cref="Run"/>, beside the calling thread, every one with a single
/// libtorch intra-op thread (the caller sets its own and restores it). Dedicated threads rather than the thread pool, so that the one-thread setting (OpenMP keeps
/// it per thread) never leaks into pool threads that other work (an Orleans silo's grains) runs on.
/// </summary>
internal sealed class ShardThreads : IDisposable
{
    private readonly Thread[] threads;
    private readonly SemaphoreSlim[] start;
    private readonly CountdownEvent done;
    private Action<int>? job;
    private readonly Exception?[] errors;
    private volatile bool stopping;

    /// <param name="count">Threads besides the caller's: <see cref="Run"/> runs jobs 0 (the caller) to <paramref name="count"/>.</param>
    public ShardThreads(int count)
    {
        threads = new Thread[count];
        start = new SemaphoreSlim[count];
        errors = new Exception?[count];
        done = new CountdownEvent(count);
        for (int i = 0; i < count; i++)
        {
            start[i] = new SemaphoreSlim(0);
            int shard = i + 1;
            threads[i] = new Thread(() => Loop(shard)) { IsBackground = true, Name = $"sft-shard-{shard}" };
            threads[i].Start();
        }
    }

    /// <summary>Runs <paramref name="work"/>(0) here and <paramref name="work"/>(1..count) on the threads; rethrows the first failure as it was thrown.</summary>
    public void Run(Action<int> work)
    {
        ObjectDisposedException.ThrowIf(stopping, this);
        job = work;
        done.Reset();
        foreach (var s in start) s.Release();
        Exception? mine = null;
        try { work(0); }
        catch (Exception e) { mine = e; }
        done.Wait();
        job = null;
        var failure = mine ?? errors.FirstOrDefault(e => e is not null);
        Array.Clear(errors);
        // The shard's own exception (bad input is an ArgumentException whichever shard met it), with its stack trace.
        if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
    }

    private void Loop(int shard)
    {
        while (true)
        {
            start[shard - 1].Wait();
            if (stopping) return;
            // Inside Run, whose caller restores libtorch's process-wide setting afterwards (at::set_num_threads also
            // stores the count that threads new to libtorch start with).
            try
            {
                torch.set_num_threads(1);
                job!(shard);
            }
            catch (Exception e) { errors[shard - 1] = e; }
            finally { done.Signal(); }
        }
    }

    public void Dispose()
    {
        if (stopping) return;
        stopping = true;
        foreach (var s in start) s.Release();
        foreach (var t in threads) t.Join();
        foreach (var s in start) s.Dispose();
        done.Dispose();
    }
}
