using Rollouts.Agent;
using Rollouts.Crafter;
using static TorchSharp.torch;

namespace Rollouts.Policy.Tests;

/// <summary>The policy plugs into Rollouts.Agent's vocabulary and output format.</summary>
public class AgentVocabularyTests
{
    /// <summary>How a caller builds the policy's token ids from the agent's vocabulary.</summary>
    internal static TokenSpec AgentSpec() => new(
        Vocabulary.Size, Vocabulary.Pad, Vocabulary.Plan, Vocabulary.PlanEnd, Vocabulary.Act, Vocabulary.Eos,
        ActionIds: Enum.GetValues<CrafterAction>().Select(Vocabulary.ActionToken).ToArray(),
        PlanWordIds: Subgoals.AllTokens.Order().ToArray());

    [Fact]
    public void AgentVocabularyMakesAValidTokenSpec()
    {
        var spec = AgentSpec().Validate();
        Assert.Equal(17, spec.ActionIds.Count);
        Assert.Equal(Subgoals.Count, spec.PlanWordIds.Distinct().Count()); // one token per subgoal
        // The eleven subgoals named like an action share its token; the grammar state tells the roles apart.
        Assert.Equal(11, spec.PlanWordIds.Intersect(spec.ActionIds).Count());
    }

    [Fact]
    public void TeacherOutputsFollowTheGrammarAndAgreeOnPlanTokens()
    {
        TestVocab.Spec.Validate(); // (sets one libtorch thread)
        var grammar = new OutputGrammar(AgentSpec(), maxPlanTokens: 8); // the shipped configs' limit: 8 subgoals
        var longest = Enumerable.Range(0, 8).Select(i => (Subgoal)(i * 4)).ToArray();
        var decisions = new[]
        {
            AgentDecision.ActOnlyDecision(CrafterAction.Noop),
            AgentDecision.WithPlan(CrafterAction.Do, [Subgoal.CollectWood]),
            AgentDecision.WithPlan(CrafterAction.MoveLeft, longest),
        };
        foreach (var d in decisions)
        {
            grammar.StatesFor(d.OutputTokens);
            Assert.Equal(d.PlanTokenCount, grammar.CountPlanTokens(d.OutputTokens));
        }

        using var model = new PolicyModel(PolicyConfig.Tiny(Vocabulary.Size) with { MaxContext = 64 }, CPU);
        var prompt = new[] { Vocabulary.Bos, Vocabulary.Obs, Vocabulary.Id("health"), Vocabulary.NumberToken(9), Vocabulary.ObsEnd };
        using var scores = PolicyScorer.Score(model, grammar, decisions.Select(_ => prompt).ToArray(), decisions.Select(d => d.OutputTokens).ToArray());
        Assert.All(scores.SumLogProbs.data<float>().ToArray(), lp => Assert.True(float.IsFinite(lp) && lp < 0));
        var generated = PolicyDecoder.Generate(model, grammar, [prompt], new DecodeOptions(Greedy: true))[0];
        var parsed = AgentDecision.FromOutputTokens(generated.Output);
        Assert.Equal(generated.PlanTokens, parsed.PlanTokenCount);
    }
}
