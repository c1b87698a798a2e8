namespace Rollouts.Agent.Teaching;

public enum PlanningScheduleKind
{
    /// <summary>A plan before every action.</summary>
    EveryStep,
    /// <summary>A plan every K steps (step 0, K, 2K, …).</summary>
    EveryK,
    /// <summary>A plan at the first step, when the current subgoal completes or changes, or when something unexpected
    /// happens (a zombie or skeleton comes within 4 cells, health drops).</summary>
    OnEvent,
    /// <summary>Never plans.</summary>
    Never,
}

/// <summary>When the teacher writes a plan. Names: <c>every</c>, <c>every-K</c> (K ≥ 2), <c>event</c>, <c>never</c>.</summary>
public readonly record struct PlanningSchedule(PlanningScheduleKind Kind, int K = 1)
{
    public static readonly PlanningSchedule EveryStep = new(PlanningScheduleKind.EveryStep);
    public static readonly PlanningSchedule OnEvent = new(PlanningScheduleKind.OnEvent);
    public static readonly PlanningSchedule Never = new(PlanningScheduleKind.Never);

    public static PlanningSchedule Every(int k) => k switch
    {
        < 1 => throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1."),
        1 => EveryStep,
        _ => new PlanningSchedule(PlanningScheduleKind.EveryK, k),
    };

    /// <summary>The schedules a mixed data set draws from, one per episode (as in the paper: diverse planning behaviour).</summary>
    public static readonly IReadOnlyList<PlanningSchedule> Mixture =
        [EveryStep, Every(2), Every(4), Every(8), Every(16), OnEvent, Never];

    /// <summary>The schedule of episode <paramref name="episodeSeed"/> in a mixed data set (deterministic).</summary>
    public static PlanningSchedule ForEpisode(long episodeSeed) =>
        Mixture[(int)((ulong)(episodeSeed * 2654435761L + 97) % (ulong)Mixture.Count)];

    public string Name => Kind switch
    {
        PlanningScheduleKind.EveryStep => "every",
        PlanningScheduleKind.EveryK => $"every-{K}",
        PlanningScheduleKind.OnEvent => "event",
        _ => "never",
    };

    public override string ToString() => Name;

    public static PlanningSchedule Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t is "every" or "every-1") return EveryStep;
        if (t == "event") return OnEvent;
        if (t == "never") return Never;
        if (t.StartsWith("every-", StringComparison.Ordinal) && int.TryParse(t.AsSpan(6), out int k) && k >= 1) return Every(k);
        throw new ArgumentException($"Unknown planning schedule '{text}'. Use every, every-K (K >= 2), event or never.");
    }

    /// <summary>Whether to plan at <paramref name="step"/>, given whether an event happened.</summary>
    public bool ShouldPlan(int step, bool eventHappened) => Kind switch
    {
        PlanningScheduleKind.EveryStep => true,
        PlanningScheduleKind.EveryK => step % K == 0,
        PlanningScheduleKind.OnEvent => step == 0 || eventHappened,
        _ => false,
    };
}
