namespace Rollouts.Policy;

/// <summary>
/// Who makes the first decision of every output, to plan or to act. <see cref="Model"/> is the agent itself; the
/// others force it (an ablation: how the same policy plays when it may never plan, or must plan on every step).
/// </summary>
public enum PlanDecision
{
    /// <summary>The model chooses &lt;plan&gt; or &lt;act&gt; (the normal case).</summary>
    Model = 0,
    /// <summary>Every output starts with &lt;act&gt;: the policy acts on the prompt alone and never writes a plan.</summary>
    Never = 1,
    /// <summary>Every output starts with &lt;plan&gt;: a new plan on every step.</summary>
    Always = 2,
}

/// <summary>The names the command line uses for a <see cref="PlanDecision"/>: <c>policy</c> (the model decides),
/// <c>never</c>, <c>always</c>.</summary>
public static class PlanDecisionNames
{
    public static string Name(this PlanDecision decision) => decision switch
    {
        PlanDecision.Never => "never",
        PlanDecision.Always => "always",
        _ => "policy",
    };

    /// <summary>The decision a checked name stands for; null or <c>policy</c>: <see cref="PlanDecision.Model"/>.</summary>
    public static PlanDecision Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        null or "policy" => PlanDecision.Model,
        "never" => PlanDecision.Never,
        "always" => PlanDecision.Always,
        _ => throw new ArgumentException($"'{name}' is not one of: policy, never, always.", nameof(name)),
    };
}
