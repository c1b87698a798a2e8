using Rollouts.Agent.Evaluation;
using Rollouts.Crafter;

namespace Rollouts.Agent.Tests;

public class MetricsTests
{
    [Fact]
    public void Score_of_all_zero_is_zero_and_all_hundred_is_hundred()
    {
        Assert.Equal(0, CrafterScore.Compute(new double[22]), 12);
        Assert.Equal(100, CrafterScore.Compute(Enumerable.Repeat(100.0, 22).ToArray()), 9);
        Assert.Equal(50, CrafterScore.Compute(Enumerable.Repeat(50.0, 22).ToArray()), 9);
    }

    [Fact]
    public void Score_of_a_mixed_case_by_hand()
    {
        // Half at 0 %, half at 100 %: exp((11 ln 1 + 11 ln 101) / 22) - 1 = sqrt(101) - 1.
        var rates = Enumerable.Repeat(0.0, 11).Concat(Enumerable.Repeat(100.0, 11)).ToArray();
        Assert.Equal(Math.Sqrt(101) - 1, CrafterScore.Compute(rates), 9);
        // Two rates, 3 % and 15 %: exp((ln 4 + ln 16) / 2) - 1 = 8 - 1 = 7.
        Assert.Equal(7, CrafterScore.Compute([3.0, 15.0]), 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => CrafterScore.Compute([101.0]));
    }

    [Fact]
    public void Summary_of_episodes_by_hand()
    {
        uint wood = 1u << (int)Achievement.CollectWood, table = 1u << (int)Achievement.PlaceTable;
        var episodes = new[]
        {
            new EpisodeResult(1, 100, 2.5, wood | table, PlanSteps: 10, PlanTokens: 50),
            new EpisodeResult(2, 300, 0.5, wood, PlanSteps: 0, PlanTokens: 0),
        };
        var s = EvaluationSummary.FromEpisodes(episodes);
        Assert.Equal(100, s.SuccessRates["collect_wood"]);
        Assert.Equal(50, s.SuccessRates["place_table"]);
        Assert.Equal(0, s.SuccessRates["collect_diamond"]);
        Assert.Equal(22, s.SuccessRates.Count);
        Assert.Equal((2 / 22.0 + 1 / 22.0) / 2, s.Progression, 12);
        Assert.Equal(10 / 400.0, s.PlanningRate, 12);
        Assert.Equal(50 / 400.0, s.PlanTokensPerStep, 12);
        Assert.Equal(1.5, s.MeanReturn, 12);
        Assert.Equal(200, s.MeanLength, 12);
        Assert.Equal(2, s.Episodes);
        // exp((ln 101 + ln 51) / 22) - 1
        Assert.Equal(Math.Exp((Math.Log(101) + Math.Log(51)) / 22) - 1, s.CrafterScore, 12);
    }

    [Fact]
    public void Json_has_exactly_the_documented_keys()
    {
        var s = EvaluationSummary.FromEpisodes([new EpisodeResult(1, 10, 1, 1, 0, 0)]);
        using var doc = System.Text.Json.JsonDocument.Parse(s.ToJson("teacher", 123));
        Assert.Equal(
            ["crafter_score", "progression", "success_rates", "planning_rate", "plan_tokens_per_step", "mean_return", "mean_length", "episodes", "agent", "seed"],
            doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(CrafterNames.Achievements, doc.RootElement.GetProperty("success_rates").EnumerateObject().Select(p => p.Name));
        Assert.Equal(123, doc.RootElement.GetProperty("seed").GetInt64());
    }

    [Fact]
    public void Parallel_results_do_not_depend_on_scheduling()
    {
        var serial = EpisodeRunner.PlayMany(_ => new Rollouts.Agent.Teaching.Teacher(), 9, 4, 120, maxParallelism: 1);
        var parallel = EpisodeRunner.PlayMany(_ => new Rollouts.Agent.Teaching.Teacher(), 9, 4, 120, maxParallelism: 4);
        Assert.Equal(serial, parallel);
        Assert.Equal([9000L, 9001, 9002, 9003], serial.Select(r => r.Seed));
    }
}
