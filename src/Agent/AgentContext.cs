using Rollouts.Crafter;

namespace Rollouts.Agent;

/// <summary>
/// What an agent remembers besides the observation: its current plan (the last one made, or none), the step
/// it was made at, and the last few actions. The prompt encodes it; every agent keeps one.
/// </summary>
public sealed class AgentContext
{
    public const int HistoryLength = 4;

    private readonly CrafterAction[] _history = new CrafterAction[HistoryLength];
    private int _historyCount;
    private int _historyNext;

    /// <summary>Steps decided so far this episode.</summary>
    public int Step { get; private set; }

    /// <summary>The current plan, or null for none.</summary>
    public IReadOnlyList<Subgoal>? Plan { get; private set; }

    /// <summary>The step the current plan was made at.</summary>
    public int PlanStep { get; private set; }

    /// <summary>Steps since the current plan was made (0 when made at this step).</summary>
    public int PlanAge => Step - PlanStep;

    public int HistoryCount => _historyCount;

    /// <summary>The i-th of the remembered actions, oldest first.</summary>
    public CrafterAction History(int i)
    {
        if ((uint)i >= (uint)_historyCount) throw new ArgumentOutOfRangeException(nameof(i));
        int start = (_historyNext - _historyCount + HistoryLength) % HistoryLength;
        return _history[(start + i) % HistoryLength];
    }

    public void Reset()
    {
        Step = 0;
        Plan = null;
        PlanStep = 0;
        _historyCount = 0;
        _historyNext = 0;
    }

    /// <summary>Sets the current plan as made at this step (a person's plan, or a new plan before the action).</summary>
    public void SetPlan(IReadOnlyList<Subgoal>? plan)
    {
        Plan = plan;
        PlanStep = Step;
    }

    /// <summary>Records the step's decision: a new plan (if any) and the action; advances the step.</summary>
    public void Record(AgentDecision decision)
    {
        if (decision.Plan is not null) SetPlan(decision.Plan);
        _history[_historyNext] = decision.Action;
        _historyNext = (_historyNext + 1) % HistoryLength;
        if (_historyCount < HistoryLength) _historyCount++;
        Step++;
    }

    /// <summary>Becomes a copy of <paramref name="other"/> (plan, plan step, step, recent actions).</summary>
    public void CopyFrom(AgentContext other)
    {
        Step = other.Step;
        Plan = other.Plan;
        PlanStep = other.PlanStep;
        Array.Copy(other._history, _history, HistoryLength);
        _historyCount = other._historyCount;
        _historyNext = other._historyNext;
    }

    /// <summary>
    /// Replaces the last recorded action with the one the env really ran (when the data recorder overrode the decision
    /// with a random action), so that the next prompt shows what happened.
    /// </summary>
    public void ReplaceLastAction(CrafterAction action)
    {
        if (_historyCount == 0) throw new InvalidOperationException("No action has been recorded yet.");
        _history[(_historyNext - 1 + HistoryLength) % HistoryLength] = action;
    }
}
