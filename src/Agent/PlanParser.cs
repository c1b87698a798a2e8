using System.Text.RegularExpressions;

namespace Rollouts.Agent;

/// <summary>A plan text that does not parse; the message names the bad phrase, its position, and the allowed subgoals.</summary>
public sealed class PlanParseException(string message) : Exception(message);

/// <summary>
/// Parses a person's plan: subgoal phrases separated by commas, semicolons, newlines or the word "then"
/// (case-insensitive, extra spaces ignored), e.g. <c>collect wood, place table then make wood pickaxe</c>. A subgoal may
/// also be written as its token (<c>make_wood_pickaxe</c>): an underscore reads as a space.
/// </summary>
public static partial class PlanParser
{
    private static readonly Dictionary<string, Subgoal> ByPhrase =
        Enum.GetValues<Subgoal>().ToDictionary(g => g.Phrase(), g => g, StringComparer.Ordinal);

    [GeneratedRegex(@"[,;\n]|\bthen\b", RegexOptions.IgnoreCase)]
    private static partial Regex Separators();

    [GeneratedRegex(@"[\s_]+")]
    private static partial Regex Spaces();

    public static IReadOnlyList<Subgoal> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = Separators().Split(text);
        var plan = new List<Subgoal>();
        int position = 0;
        foreach (string raw in parts)
        {
            string phrase = Spaces().Replace(raw.ToLowerInvariant(), " ").Trim();
            if (phrase.Length == 0) continue;
            position++;
            if (!ByPhrase.TryGetValue(phrase, out var goal))
                throw new PlanParseException(
                    $"Unknown subgoal '{raw.Trim()}' at position {position} of the plan. Allowed subgoals: {Subgoals.AllowedList}.");
            plan.Add(goal);
        }
        if (plan.Count == 0) throw new PlanParseException($"The plan is empty. Allowed subgoals: {Subgoals.AllowedList}.");
        return plan;
    }

    /// <summary>The plan as text, subgoals joined by ", ".</summary>
    public static string Format(IReadOnlyList<Subgoal> plan) => string.Join(", ", plan.Select(g => g.Phrase()));
}
