using System.Text;
using System.Text.Json;
using Rollouts.Crafter;

namespace Rollouts.Agent.Evaluation;

/// <summary>
/// The metrics users read over a set of episodes: Crafter score (the paper's geometric mean, %), BALROG progression
/// (mean of unlocked/22), success rate per achievement (%), mean return and length, planning rate (share of steps
/// with a plan) and plan tokens per step (both over all steps of all episodes).
/// </summary>
public sealed record EvaluationSummary(
    double CrafterScore,
    double Progression,
    IReadOnlyDictionary<string, double> SuccessRates,
    double PlanningRate,
    double PlanTokensPerStep,
    double MeanReturn,
    double MeanLength,
    int Episodes)
{
    public static EvaluationSummary FromEpisodes(IReadOnlyList<EpisodeResult> episodes)
    {
        if (episodes.Count == 0) throw new ArgumentException("No episodes to summarize.", nameof(episodes));
        var rates = new double[CrafterNames.AchievementCount];
        var successRates = new Dictionary<string, double>(CrafterNames.AchievementCount);
        for (int a = 0; a < rates.Length; a++)
        {
            int hits = episodes.Count(e => (e.Unlocked & (1u << a)) != 0);
            rates[a] = 100.0 * hits / episodes.Count;
            successRates[CrafterNames.Achievements[a]] = rates[a];
        }
        long steps = episodes.Sum(e => (long)e.Length);
        return new EvaluationSummary(
            Evaluation.CrafterScore.Compute(rates),
            episodes.Average(e => e.UnlockedCount / (double)CrafterNames.AchievementCount),
            successRates,
            steps == 0 ? 0 : episodes.Sum(e => (long)e.PlanSteps) / (double)steps,
            steps == 0 ? 0 : episodes.Sum(e => e.PlanTokens) / (double)steps,
            episodes.Average(e => e.Return),
            episodes.Average(e => (double)e.Length),
            episodes.Count);
    }

    /// <summary>
    /// JSON with the keys <c>crafter_score, progression, success_rates, planning_rate, plan_tokens_per_step,
    /// mean_return, mean_length, episodes, agent, seed</c> (success rates in Crafter's achievement order).
    /// </summary>
    /// <param name="planning">A forced planning decision (<c>never</c>, <c>always</c>), written as <c>planning</c>; null: the agent's own.</param>
    public string ToJson(string agent, long seed, string? planning = null)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("crafter_score", Math.Round(CrafterScore, 6));
            w.WriteNumber("progression", Math.Round(Progression, 6));
            w.WriteStartObject("success_rates");
            foreach (string name in CrafterNames.Achievements) w.WriteNumber(name, Math.Round(SuccessRates[name], 6));
            w.WriteEndObject();
            w.WriteNumber("planning_rate", Math.Round(PlanningRate, 6));
            w.WriteNumber("plan_tokens_per_step", Math.Round(PlanTokensPerStep, 6));
            w.WriteNumber("mean_return", Math.Round(MeanReturn, 6));
            w.WriteNumber("mean_length", Math.Round(MeanLength, 6));
            w.WriteNumber("episodes", Episodes);
            w.WriteString("agent", agent);
            if (planning is not null) w.WriteString("planning", planning);
            w.WriteNumber("seed", seed);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
