using static Rollouts.Policy.Tests.TestVocab;

namespace Rollouts.Policy.Tests;

public class GrammarAndConfigTests
{
    [Fact]
    public void DefaultConfigIsValidAndSized()
    {
        var c = PolicyConfig.Default.Validate();
        Assert.Equal((128, 4, 4, 512, 256), (c.DModel, c.Layers, c.Heads, c.DFf, c.MaxContext));
        Assert.Equal(32, c.HeadDim);
    }

    [Theory]
    [InlineData(0, 16, 2, 2, 32, 64, "VocabSize")]
    [InlineData(24, 15, 2, 2, 32, 64, "multiple of PolicyConfig.Heads")]
    [InlineData(24, 16, 0, 2, 32, 64, "Layers")]
    [InlineData(24, 16, 2, 2, 32, 1, "MaxContext")]
    [InlineData(24, 18, 2, 6, 32, 64, "must be even for rotary positions")]
    public void InvalidConfigsNameTheField(int vocab, int d, int layers, int heads, int ff, int ctx, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => new PolicyConfig(vocab, d, layers, heads, ff, ctx).Validate());
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ParameterCountMatchesTheModel()
    {
        foreach (var tied in new[] { true, false })
        foreach (var positions in new[] { PositionEncoding.Rotary, PositionEncoding.Learned })
        {
            using var model = TinyModel(tied: tied, positions: positions);
            long actual = model.parameters().Sum(p => p.numel());
            Assert.Equal(model.Config.ParameterCount, actual);
        }
    }

    [Fact]
    public void TokenSpecValidation()
    {
        Spec.Validate();
        Assert.Contains("same id", Assert.Throws<ArgumentException>(() => (Spec with { Eos = Pad }).Validate()).Message);
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentException>(() => (Spec with { ActionIds = [13, 99] }).Validate()).Message);
        Assert.Contains("ActionIds", Assert.Throws<ArgumentException>(() => (Spec with { ActionIds = [] }).Validate()).Message);
        Assert.Contains("special token", Assert.Throws<ArgumentException>(() => (Spec with { PlanWordIds = [9, Act] }).Validate()).Message);
        (Spec with { PlanWordIds = [9, 13] }).Validate(); // a word may be both a plan word and an action ("sleep")
    }

    [Fact]
    public void StatesFollowTheGrammar()
    {
        var g = Grammar(maxPlanTokens: 3);
        Assert.Equal(new[] { GrammarState.Decide, GrammarState.Action }, g.StatesFor([Act, 13]));
        Assert.Equal(
            new[] { GrammarState.Decide, GrammarState.PlanBody, GrammarState.PlanBody, GrammarState.PlanBody, GrammarState.PlanMustClose, GrammarState.MustAct, GrammarState.Action },
            g.StatesFor([Plan, 9, 11, 10, PlanEnd, Act, 14]));
        Assert.Equal(
            new[] { GrammarState.Decide, GrammarState.PlanBody, GrammarState.MustAct, GrammarState.Action },
            g.StatesFor([Plan, PlanEnd, Act, 15]));
        var withEos = Grammar(maxPlanTokens: 3, endWithEos: true);
        Assert.Equal(new[] { GrammarState.Decide, GrammarState.Action, GrammarState.MustEos }, withEos.StatesFor([Act, 13, Eos]));
    }

    [Theory]
    [InlineData(new[] { 13 }, "not allowed in grammar state Decide")]
    [InlineData(new[] { Act, 9 }, "not allowed in grammar state Action")]
    [InlineData(new[] { Plan, 9, 10, 11, 12, PlanEnd, Act, 13 }, "not allowed in grammar state PlanMustClose")]
    [InlineData(new[] { Plan, 9, PlanEnd, 13 }, "not allowed in grammar state MustAct")]
    [InlineData(new[] { Act, 13, 13 }, "continues after it is complete")]
    [InlineData(new[] { Plan, 9 }, "incomplete")]
    public void RejectsOutputsOutsideTheGrammar(int[] output, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => Grammar(maxPlanTokens: 3).StatesFor(output));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void PlanTokensCountTheWholePlanSegment()
    {
        var g = Grammar();
        Assert.Equal(0, g.CountPlanTokens([Act, 13]));
        Assert.Equal(4, g.CountPlanTokens([Plan, 9, 10, PlanEnd, Act, 13]));
        Assert.Equal(2, g.CountPlanTokens([Plan, PlanEnd, Act, 13]));
        Assert.Equal(8, g.MaxOutputTokens); // decision + 4 plan tokens + </plan> + <act> + action
    }

    [Fact]
    public void MasksAllowExactlyTheGrammarTokens()
    {
        var g = Grammar();
        int[] Allowed(GrammarState s) => Enumerable.Range(0, VocabSize).Where(t => g.Allowed[(int)s][t]).ToArray();
        Assert.Equal(new[] { Plan, Act }, Allowed(GrammarState.Decide));
        Assert.Equal(new[] { PlanEnd, 9, 10, 11, 12 }, Allowed(GrammarState.PlanBody));
        Assert.Equal(new[] { PlanEnd }, Allowed(GrammarState.PlanMustClose));
        Assert.Equal(new[] { Act }, Allowed(GrammarState.MustAct));
        Assert.Equal(Actions, Allowed(GrammarState.Action));
        Assert.Equal(new[] { Eos }, Allowed(GrammarState.MustEos));
    }
}
