using Rollouts.Agent.Teaching;

namespace Rollouts.Agent;

/// <summary>A bad <c>--agent</c>/<c>--plan</c>: the message says what is wrong.</summary>
public sealed class AgentSpecException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What the user asked for: <c>teacher</c>, <c>plan</c> (with a plan text), or <c>KIND:ARGUMENT</c> such as
/// <c>checkpoint:PATH</c>. <paramref name="Planning"/>: a forced decision to plan, <c>never</c> or <c>always</c>; null
/// when the agent decides itself (see <see cref="AgentFactory.ForcedPlanning"/>).</summary>
public sealed record AgentSpec(string Kind, string? Argument, string? PlanText, string Schedule, double? Temperature = null, string? Planning = null);

/// <summary>
/// Resolves <c>--agent</c> values to agents. <c>teacher</c> and <c>plan</c> are built in; other kinds (the TorchSharp
/// policy's <c>checkpoint:PATH</c>) are registered by the projects that provide them with <see cref="Register"/>.
/// A creator gets the spec and returns a function from the episode's env seed to a fresh agent; it should check its
/// inputs (e.g. that the checkpoint file exists) eagerly and throw <see cref="AgentSpecException"/>.
/// </summary>
public static class AgentFactory
{
    private static readonly Dictionary<string, Func<AgentSpec, Func<long, IAgent>>> Creators = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();

    public const string Checkpoint = "checkpoint";

    public static IReadOnlyList<string> BuiltInKinds { get; } = ["teacher", "plan"];

    /// <summary>Values of <c>--planning</c>: the policy decides when to plan (the default), or never plans, or plans on
    /// every step (an ablation of a checkpoint agent).</summary>
    public static IReadOnlyList<string> PlanningChoices { get; } = ["policy", "never", "always"];

    /// <summary>The forced planning decision that <c>--planning</c> names (<c>never</c> or <c>always</c>), or null when the
    /// agent decides itself (<c>policy</c> or no option). Throws <see cref="AgentSpecException"/> for any other value.</summary>
    public static string? ForcedPlanning(string? planning)
    {
        string? choice = planning?.Trim().ToLowerInvariant();
        if (choice is null || choice == "policy") return null;
        if (!PlanningChoices.Contains(choice))
            throw new AgentSpecException($"--planning '{planning}' is not one of: {string.Join(", ", PlanningChoices)}.");
        return choice;
    }

    /// <summary>Registers (or replaces) the creator of an agent kind.</summary>
    public static void Register(string kind, Func<AgentSpec, Func<long, IAgent>> creator)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentNullException.ThrowIfNull(creator);
        if (BuiltInKinds.Contains(kind)) throw new ArgumentException($"'{kind}' is built in.", nameof(kind));
        lock (Gate) Creators[kind] = creator;
    }

    public static bool IsRegistered(string kind)
    {
        lock (Gate) return Creators.ContainsKey(kind);
    }

    /// <summary>
    /// Parses <paramref name="agent"/> and returns a creator of one agent per episode (argument: the env seed).
    /// <paramref name="schedule"/> is the teacher's planning schedule name (<c>every</c>, <c>every-K</c>, <c>event</c>,
    /// <c>never</c>, or <c>mixed</c>: one drawn per episode).
    /// </summary>
    /// <paramref name="planning"/> (checkpoint agents only): one of <see cref="PlanningChoices"/>, null for <c>policy</c>.
    public static Func<long, IAgent> Resolve(string agent, string? planText = null, string schedule = "event", double? temperature = null,
        string? planning = null)
    {
        if (string.IsNullOrWhiteSpace(agent)) throw new AgentSpecException("--agent is empty. Use teacher, plan (with --plan \"...\") or checkpoint:PATH.");
        string text = agent.Trim();
        int colon = text.IndexOf(':');
        string kind = colon < 0 ? text : text[..colon];
        string? argument = colon < 0 ? null : text[(colon + 1)..];
        string? forcedPlanning = ForcedPlanning(planning);
        if (forcedPlanning is not null && kind != Checkpoint)
            throw new AgentSpecException($"--planning {forcedPlanning} is only for --agent checkpoint:PATH (got --agent {text}; the teacher's planning is set by --schedule).");
        var spec = new AgentSpec(kind, argument, planText, schedule, temperature, forcedPlanning);
        if (temperature is not null && kind != Checkpoint)
            throw new AgentSpecException($"--temperature is only for --agent checkpoint:PATH (got --agent {text}).");
        if (temperature is { } tt && (!(tt >= 0) || double.IsInfinity(tt)))
            throw new AgentSpecException($"--temperature must be a finite number >= 0 (0: greedy), got {tt.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");

        if (kind != "plan" && planText is not null && kind != Checkpoint)
            throw new AgentSpecException($"--plan is only for --agent plan (got --agent {text}).");
        switch (kind)
        {
            case "teacher":
            {
                if (ParseVision(argument ?? "full") is not { } vision)
                    throw new AgentSpecException($"--agent teacher takes teacher, teacher:full or teacher:local (got '{text}').");
                var fixedSchedule = ParseSchedule(schedule);
                return envSeed => new Teacher(new TeacherOptions { Schedule = fixedSchedule ?? PlanningSchedule.ForEpisode(envSeed), Vision = vision });
            }
            case "plan":
            {
                string? source = planText ?? argument;
                if (string.IsNullOrWhiteSpace(source)) throw new AgentSpecException("--agent plan needs --plan \"subgoal, subgoal, ...\".");
                IReadOnlyList<Subgoal> plan;
                try { plan = PlanParser.Parse(source); }
                catch (PlanParseException e) { throw new AgentSpecException(e.Message, e); }
                return _ => new FixedPlanAgent(plan);
            }
        }
        Func<AgentSpec, Func<long, IAgent>>? creator;
        lock (Gate) Creators.TryGetValue(kind, out creator);
        if (creator is not null) return creator(spec);
        if (kind == Checkpoint)
            throw new AgentSpecException(
                $"checkpoint agents need the policy project: nothing has registered the '{Checkpoint}' agent kind (agent '{text}').");
        string known;
        lock (Gate) known = string.Join(", ", BuiltInKinds.Concat(Creators.Keys).Append("checkpoint:PATH").Distinct());
        throw new AgentSpecException($"Unknown agent kind '{kind}'. Known kinds: {known}.");
    }

    /// <summary>The teacher vision named <c>full</c> or <c>local</c> (as in <c>--agent teacher:local</c> and
    /// <c>sft.teacher_vision</c>), or null for any other name.</summary>
    public static TeacherVision? ParseVision(string name) => name switch
    {
        "full" => TeacherVision.Full,
        "local" => TeacherVision.Local,
        _ => null,
    };

    /// <summary>The schedule named, or null for <c>mixed</c> (one per episode).</summary>
    public static PlanningSchedule? ParseSchedule(string schedule)
    {
        if (string.Equals(schedule?.Trim(), "mixed", StringComparison.OrdinalIgnoreCase)) return null;
        try { return PlanningSchedule.Parse(schedule ?? ""); }
        catch (ArgumentException e) { throw new AgentSpecException(e.Message + " (or mixed)", e); }
    }
}
