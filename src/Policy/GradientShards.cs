using System.Diagnostics;
using TorchSharp;

namespace Rollouts.Policy;

/// <summary>
/// Data-parallel backward passes on the CPU: copies of a model (and of a frozen companion, PPO's KL reference), one per
/// shard, each shard's forward and backward on a thread of its own with one libtorch thread, and the copies' gradients
/// added into the model's, where the optimizer steps. A model this small keeps a second libtorch thread on the same
/// batch mostly idle (2 intra-op threads gave 1.0–1.2× the samples/s of one on 2 cores), while shards run side by side.
/// Each shard's loss must be its part of the whole batch's loss (divided by the whole batch's count or weight), so
/// that the gradients add up to the whole batch's.
/// </summary>
internal sealed class GradientShards : IDisposable
{
    private readonly PolicyModel model;
    private readonly PolicyModel? frozen;
    private readonly PolicyModel[] copies;
    private readonly PolicyModel[] frozenCopies;
    private readonly ShardThreads threads;

    public GradientShards(PolicyModel model, int count, PolicyModel? frozen = null)
    {
        if (count < 2) throw new ArgumentException($"GradientShards needs at least 2 shards, got {count}.", nameof(count));
        this.model = model;
        this.frozen = frozen;
        Count = count;
        copies = Enumerable.Range(1, count - 1).Select(_ => new PolicyModel(model.Config, model.Device)).ToArray();
        frozenCopies = frozen is null ? [] : Enumerable.Range(1, count - 1).Select(_ => new PolicyModel(frozen.Config, frozen.Device)).ToArray();
        threads = new ShardThreads(count - 1);
    }

    public int Count { get; }

    /// <summary>
    /// Whether <see cref="RunStep"/> runs each step sharded or whole by the time per token each way took in periodic
    /// trials (<see cref="ShardingChoice"/>) rather than always sharded. The same steps either way.
    /// </summary>
    public bool ChooseByTime
    {
        get => choice is not null;
        set => choice = value ? choice ?? new ShardingChoice() : null;
    }
    private ShardingChoice? choice;

    /// <summary>Steps <see cref="RunStep"/> ran sharded.</summary>
    public long ShardedSteps { get; private set; }

    /// <summary>
    /// One step's backward pass: <paramref name="sharded"/> (which calls <see cref="Backward"/>), or with
    /// <see cref="ChooseByTime"/> whichever way the choice gives, timed for <paramref name="tokens"/> tokens.
    /// </summary>
    public T RunStep<T>(long tokens, Func<T> whole, Func<T> sharded)
    {
        if (choice is null)
        {
            ShardedSteps++;
            return sharded();
        }
        bool useShards = choice.Next();
        long started = Stopwatch.GetTimestamp();
        T result = useShards ? sharded() : whole();
        choice.Record(useShards, Stopwatch.GetElapsedTime(started).TotalSeconds, tokens);
        if (useShards) ShardedSteps++;
        return result;
    }

    /// <summary>
    /// Runs <paramref name="backward"/>(shard, model, frozen) for every shard at once (shard 0 on the calling thread with
    /// the models themselves), then adds the copies' gradients into the model's. The model's gradients must be zero or
    /// unset before. The first failure is rethrown as thrown, after every shard has ended.
    /// </summary>
    public void Backward(Action<int, PolicyModel, PolicyModel?> backward)
    {
        // The weights may have changed since the last call (a step, a checkpoint loaded, an average swapped in).
        for (int i = 0; i < copies.Length; i++)
        {
            copies[i].CopyWeightsFrom(model);
            copies[i].train(model.training);
            copies[i].zero_grad();
            if (frozen is not null)
            {
                frozenCopies[i].CopyWeightsFrom(frozen);
                frozenCopies[i].eval();
            }
        }
        int previousThreads = torch.get_num_threads();
        torch.set_num_threads(1);
        try
        {
            threads.Run(shard =>
            {
                using var scope = torch.NewDisposeScope();
                if (shard == 0) backward(0, model, frozen);
                else backward(shard, copies[shard - 1], frozen is null ? null : frozenCopies[shard - 1]);
            });
        }
        finally
        {
            torch.set_num_threads(previousThreads);
        }
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var mine = model.parameters().ToList();
        foreach (var copy in copies)
        {
            var theirs = copy.parameters().ToList();
            for (int i = 0; i < mine.Count; i++)
            {
                var (own, other) = (mine[i].grad, theirs[i].grad);
                if (other is null) continue;
                if (own is null) throw new InvalidOperationException($"parameter {i} has a gradient in a shard's copy but none in the model.");
                own.add_(other, HeldScalars.One);
            }
        }
    }

    /// <summary>
    /// Splits <paramref name="count"/> items into <paramref name="parts"/> groups of about equal size by
    /// <paramref name="size"/> (largest first, each to the group with the least so far): a shard's time grows with its
    /// tokens, and every step waits for the slowest shard.
    /// </summary>
    public static List<int>[] Balance(int count, Func<int, int> size, int parts)
    {
        var order = new int[count];
        var keys = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
            keys[i] = -size(i);
        }
        Array.Sort(keys, order);
        var groups = new List<int>[parts];
        var load = new long[parts];
        for (int p = 0; p < parts; p++) groups[p] = new List<int>(count / parts + 1);
        for (int k = 0; k < count; k++)
        {
            int lightest = 0;
            for (int p = 1; p < parts; p++)
                if (load[p] < load[lightest]) lightest = p;
            groups[lightest].Add(order[k]);
            load[lightest] -= keys[k]; // keys are the negated sizes
        }
        return groups;
    }

    public void Dispose()
    {
        threads.Dispose();
        foreach (var copy in copies) copy.Dispose();
        foreach (var copy in frozenCopies) copy.Dispose();
    }
}
