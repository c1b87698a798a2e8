using Rollouts.Agent;

namespace Rollouts.Agent.Tests;

public class PlanParserTests
{
    [Fact]
    public void Parses_commas_semicolons_and_then_in_any_case()
    {
        var plan = PlanParser.Parse("Collect Wood,  place table; make wood pickaxe THEN   defeat zombie\nwake up");
        Assert.Equal([Subgoal.CollectWood, Subgoal.PlaceTable, Subgoal.MakeWoodPickaxe, Subgoal.DefeatZombie, Subgoal.WakeUp], plan);
    }

    [Fact]
    public void Survival_goals_parse()
    {
        var plan = PlanParser.Parse("drink water, find cow, sleep, avoid zombie, explore");
        Assert.Equal([Subgoal.DrinkWater, Subgoal.FindCow, Subgoal.Sleep, Subgoal.AvoidZombie, Subgoal.Explore], plan);
    }

    [Fact]
    public void Unknown_subgoal_names_the_phrase_its_position_and_the_allowed_list()
    {
        var e = Assert.Throws<PlanParseException>(() => PlanParser.Parse("collect wood, build rocket, place table"));
        Assert.Contains("'build rocket'", e.Message);
        Assert.Contains("position 2", e.Message);
        foreach (string phrase in Subgoals.Phrases) Assert.Contains(phrase, e.Message);
    }

    [Fact]
    public void Empty_plan_is_an_error()
    {
        Assert.Throws<PlanParseException>(() => PlanParser.Parse(" , ;"));
    }

    [Fact]
    public void Plans_tokenize_one_token_per_subgoal_and_back()
    {
        var plan = PlanParser.Parse("collect wood, place table, make wood pickaxe");
        int[] ids = Subgoals.PlanTokens(plan);
        Assert.Equal("<plan> collect_wood place_table make_wood_pickaxe </plan>", Vocabulary.Decode(ids));
        Assert.Equal(5, Subgoals.PlanTokenCount(plan));
        Assert.Equal(plan, Subgoals.FromPlanTokens(ids));
        var e = Assert.Throws<PlanParseException>(() => Subgoals.FromPlanTokens(Vocabulary.Encode("<plan> collect_wood wood </plan>")));
        Assert.Contains("'wood' at position 2", e.Message);
        Assert.Contains("make wood pickaxe", e.Message); // lists the allowed subgoals
        Assert.Throws<PlanParseException>(() => Subgoals.FromPlanTokens(Vocabulary.Encode("<plan> </plan>")));
    }

    [Fact]
    public void Every_subgoal_is_one_token_named_by_its_phrase()
    {
        var tokens = new HashSet<int>();
        foreach (var goal in Enum.GetValues<Subgoal>())
        {
            Assert.Equal(goal.Phrase().Replace(' ', '_'), Vocabulary.Word(goal.Token()));
            Assert.True(tokens.Add(goal.Token()), goal.Phrase());
            Assert.True(Subgoals.TryFromToken(goal.Token(), out var back));
            Assert.Equal(goal, back);
        }
        // Shared with the action of the same name (the grammar state tells the roles apart) ...
        Assert.Equal(Vocabulary.ActionToken(Rollouts.Crafter.CrafterAction.PlaceTable), Subgoal.PlaceTable.Token());
        Assert.Equal(Vocabulary.ActionToken(Rollouts.Crafter.CrafterAction.Sleep), Subgoal.Sleep.Token());
        // ... and no other word names a subgoal.
        Assert.False(Subgoals.TryFromToken(Vocabulary.Id("wood"), out _));
        Assert.False(Subgoals.TryFromToken(Vocabulary.ActionToken(Rollouts.Crafter.CrafterAction.Do), out _));
        Assert.False(Subgoals.TryFromToken(-1, out _));
        Assert.False(Subgoals.TryFromToken(Vocabulary.Size, out _));
    }

    [Fact]
    public void A_person_may_write_a_subgoal_as_its_token()
    {
        Assert.Equal([Subgoal.CollectWood, Subgoal.MakeWoodPickaxe, Subgoal.WakeUp],
            PlanParser.Parse("collect_wood, Make_Wood_Pickaxe then _wake_up_"));
    }

    [Fact]
    public void The_first_22_subgoals_are_the_achievements()
    {
        for (int a = 0; a < Rollouts.Crafter.CrafterNames.AchievementCount; a++)
            Assert.Equal(Rollouts.Crafter.CrafterNames.Achievements[a].Replace('_', ' '), ((Subgoal)a).Phrase());
        Assert.Equal(Subgoals.Count, Enum.GetValues<Subgoal>().Length);
        Assert.Equal(Subgoals.Count, Subgoals.Phrases.Count);
    }

    [Fact]
    public void Decisions_parse_back_from_output_tokens()
    {
        var d = AgentDecision.WithPlan(Rollouts.Crafter.CrafterAction.Do, [Subgoal.CollectWood, Subgoal.PlaceTable]);
        Assert.Equal("<plan> collect_wood place_table </plan> <act> do", Vocabulary.Decode(d.OutputTokens));
        Assert.Equal(4, d.PlanTokenCount);
        var back = AgentDecision.FromOutputTokens(d.OutputTokens);
        Assert.Equal(d.Action, back.Action);
        Assert.Equal(d.Plan, back.Plan);
        var act = AgentDecision.FromOutputTokens(Vocabulary.Encode("<act> noop"));
        Assert.Null(act.Plan);
        Assert.Equal(0, act.PlanTokenCount);
    }
}

public class GeneratedOutputTests
{
    [Fact]
    public void A_generated_plan_with_nonsense_is_read_leniently_and_its_tokens_still_count()
    {
        int[] output = Vocabulary.Encode("<plan> collect_wood wood wood_sword place_table </plan> <act> do");
        var d = AgentDecision.FromOutputTokens(output);
        Assert.False(d.PlanIsValid);
        Assert.Equal([Subgoal.CollectWood, Subgoal.PlaceTable], d.Plan);
        Assert.Equal(output.Length - 2, d.PlanTokenCount);
        var empty = AgentDecision.FromOutputTokens(Vocabulary.Encode("<plan> </plan> <act> noop"));
        Assert.False(empty.PlanIsValid);
        Assert.Empty(empty.Plan!);
        Assert.Equal(2, empty.PlanTokenCount);
        Assert.Throws<UnknownTokenException>(() => AgentDecision.FromOutputTokens(Vocabulary.Encode("<act> wood")));
        Assert.Throws<UnknownTokenException>(() => AgentDecision.FromOutputTokens(Vocabulary.Encode("collect_wood <act> do")));
    }
}
