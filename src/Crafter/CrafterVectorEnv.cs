namespace Rollouts.Crafter;

/// <summary>
/// Many Crafter environments stepped in one call, spread over the machine's cores. Environments that finish
/// an episode are reset before the next step (the returned result still reports <c>Done</c>), so a trainer can
/// keep stepping without bookkeeping. Each environment is deterministic on its own, so results do not depend on
/// how the work is scheduled.
/// </summary>
public sealed class CrafterVectorEnv
{
    private readonly CrafterEnv[] _envs;
    private readonly int[] _actions;
    private readonly StepResult[] _results;
    private readonly Action<int> _stepPartition;
    private readonly ParallelOptions _parallel;
    private readonly int _partitions;

    public CrafterVectorEnv(IReadOnlyList<long> seeds, CrafterOptions? options = null, int maxDegreeOfParallelism = -1)
    {
        if (seeds.Count == 0) throw new ArgumentException("At least one environment is needed.", nameof(seeds));
        _envs = new CrafterEnv[seeds.Count];
        for (int i = 0; i < _envs.Length; i++) _envs[i] = new CrafterEnv(seeds[i], options);
        _actions = new int[_envs.Length];
        _results = new StepResult[_envs.Length];
        int workers = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount;
        _partitions = Math.Min(_envs.Length, workers);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = workers };
        _stepPartition = StepPartition;
    }

    /// <summary>Environments with seeds <c>baseSeed + i</c>, i = 0..count-1.</summary>
    public static CrafterVectorEnv WithConsecutiveSeeds(long baseSeed, int count, CrafterOptions? options = null, int maxDegreeOfParallelism = -1)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be positive.");
        var seeds = new long[count];
        for (int i = 0; i < count; i++) seeds[i] = baseSeed + i;
        return new CrafterVectorEnv(seeds, options, maxDegreeOfParallelism);
    }

    public int Count => _envs.Length;

    public CrafterEnv this[int index] => _envs[index];

    public void Reset()
    {
        foreach (var env in _envs) env.Reset();
    }

    /// <summary>Steps every environment with its action; finished episodes restart before the next call returns.</summary>
    public void Step(ReadOnlySpan<int> actions, Span<StepResult> results)
    {
        if (actions.Length != _envs.Length) throw new ArgumentException($"Expected {_envs.Length} actions, got {actions.Length}.", nameof(actions));
        if (results.Length < _envs.Length) throw new ArgumentException($"Results must hold {_envs.Length} entries.", nameof(results));
        for (int i = 0; i < actions.Length; i++)
            if ((uint)actions[i] >= CrafterNames.ActionCount)
                throw new ArgumentOutOfRangeException(nameof(actions), actions[i], $"Action {i} is not a Crafter action (0..{CrafterNames.ActionCount - 1}).");
        actions.CopyTo(_actions);
        if (_partitions == 1) StepPartition(0);
        else Parallel.For(0, _partitions, _parallel, _stepPartition);
        _results.AsSpan().CopyTo(results);
    }

    private void StepPartition(int partition)
    {
        int start = (int)((long)_envs.Length * partition / _partitions);
        int end = (int)((long)_envs.Length * (partition + 1) / _partitions);
        for (int i = start; i < end; i++)
        {
            var env = _envs[i];
            if (!env.IsStarted) env.Reset();
            var result = env.Step(_actions[i]);
            _results[i] = result;
            if (result.Done) env.Reset();
        }
    }
}
