using Rollouts.Crafter;

namespace Rollouts.Agent;

/// <summary>
/// One step's decision: the action, the plan made at this step (null when the agent did not plan), and the
/// generated output tokens: <c>&lt;plan&gt; … &lt;/plan&gt; &lt;act&gt; ACTION</c> or <c>&lt;act&gt; ACTION</c>.
/// </summary>
public sealed record AgentDecision(CrafterAction Action, IReadOnlyList<Subgoal>? Plan, int[] OutputTokens)
{
    private static readonly int[][] ActOnly = Enum.GetValues<CrafterAction>()
        .Select(a => new[] { Vocabulary.Act, Vocabulary.ActionToken(a) }).ToArray();

    /// <summary>Tokens spent on planning this step (the plan part of the output, 0 without a plan).</summary>
    public int PlanTokenCount => OutputTokens.Length > 2 && OutputTokens[0] == Vocabulary.Plan ? OutputTokens.Length - 2 : 0;

    public ReadOnlySpan<int> PlanTokens => OutputTokens.AsSpan(0, PlanTokenCount);

    /// <summary>False when a generated plan held word sequences that are no subgoal (they are left out of <see cref="Plan"/>).</summary>
    public bool PlanIsValid { get; init; } = true;

    /// <summary>A decision without a plan; the output array is shared and must not be changed.</summary>
    public static AgentDecision ActOnlyDecision(CrafterAction action) => new(action, null, ActOnly[(int)action]);

    public static AgentDecision WithPlan(CrafterAction action, IReadOnlyList<Subgoal> plan)
    {
        int planLength = Subgoals.PlanTokenCount(plan);
        var output = new int[planLength + 2];
        Subgoals.WritePlanTokens(plan, output);
        output[planLength] = Vocabulary.Act;
        output[planLength + 1] = Vocabulary.ActionToken(action);
        return new AgentDecision(action, plan, output);
    }

    /// <summary>
    /// Parses generated output tokens (as a policy produces them) into a decision. A plan part is read leniently:
    /// segments that are no subgoal are dropped and <see cref="PlanIsValid"/> is false; plan tokens are still counted.
    /// </summary>
    public static AgentDecision FromOutputTokens(int[] output)
    {
        if (output.Length < 2 || output[^2] != Vocabulary.Act)
            throw new UnknownTokenException($"Output must end with '<act> ACTION', got '{Vocabulary.Decode(output)}'.");
        var action = Vocabulary.TokenToAction(output[^1]);
        if (output.Length == 2) return new AgentDecision(action, null, output);
        if (output[0] != Vocabulary.Plan || output[^3] != Vocabulary.PlanEnd)
            throw new UnknownTokenException($"A plan must be '<plan> ... </plan>' before '<act>', got '{Vocabulary.Decode(output)}'.");
        bool valid = Subgoals.TryReadPlan(output.AsSpan(1, output.Length - 4), out var plan);
        return new AgentDecision(action, plan, output) { PlanIsValid = valid };
    }
}

/// <summary>An agent that plays Crafter: a scripted teacher, a person's fixed plan, or a learned policy.</summary>
public interface IAgent
{
    /// <summary>A short name for reports (e.g. <c>teacher</c>).</summary>
    string Name { get; }

    /// <summary>The agent's memory of plan and recent actions (what the prompt encodes).</summary>
    AgentContext Context { get; }

    /// <summary>Starts an episode on an env that was just reset.</summary>
    void Reset(CrafterEnv env);

    /// <summary>Decides this step's output; the caller steps the env with <see cref="AgentDecision.Action"/>.
    /// Implementations record the decision in <see cref="Context"/>.</summary>
    AgentDecision Decide(CrafterEnv env);
}
