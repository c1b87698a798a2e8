namespace Rollouts.Policy.Tests;

/// <summary>The choice between whole and sharded steps follows the measured time per token, trial by trial.</summary>
public sealed class ShardingChoiceTests
{
    // Runs `steps` steps where a sharded step of 100 tokens takes `sharded(step)` seconds and a whole one `whole(step)`.
    private static List<bool> Run(ShardingChoice choice, int steps, Func<int, double> whole, Func<int, double> sharded)
    {
        var ways = new List<bool>();
        for (int i = 0; i < steps; i++)
        {
            bool s = choice.Next();
            ways.Add(s);
            choice.Record(s, s ? sharded(i) : whole(i), 100);
        }
        return ways;
    }

    [Fact]
    public void RunsWholeUntilTheFirstTrialThenTheFasterWay()
    {
        var choice = new ShardingChoice();
        int firstDecided = ShardingChoice.WarmupSteps + ShardingChoice.TrialSteps;
        var ways = Run(choice, firstDecided + 50, whole: _ => 0.010, sharded: _ => 0.007);
        Assert.All(ways.Take(ShardingChoice.WarmupSteps), Assert.False);
        var trial = ways.Skip(ShardingChoice.WarmupSteps).Take(ShardingChoice.TrialSteps).ToList();
        Assert.Equal(ShardingChoice.TrialSteps / 2, trial.Count(w => w)); // half each way, alternating
        Assert.All(ways.Skip(firstDecided), Assert.True);
        Assert.True(choice.Sharded);
        Assert.Equal(ShardingChoice.TrialSteps / 2 + 50, choice.ShardedSteps);

        var slower = new ShardingChoice();
        Assert.All(Run(slower, firstDecided + 50, whole: _ => 0.010, sharded: _ => 0.012).Skip(firstDecided), Assert.False);
    }

    [Fact]
    public void ALaterTrialSwitchesWhenTheMachineChanges()
    {
        var choice = new ShardingChoice();
        int secondTrialEnd = ShardingChoice.WarmupSteps + ShardingChoice.Period + ShardingChoice.TrialSteps;
        // Sharded is faster at first, slower from step 300 on (another job took a core, say).
        var ways = Run(choice, secondTrialEnd + 20, whole: _ => 0.010, sharded: i => i < 300 ? 0.007 : 0.015);
        Assert.True(ways[ShardingChoice.WarmupSteps + ShardingChoice.TrialSteps + 10]);
        Assert.True(ways[299]);
        Assert.True(ways[350]); // until the next trial the way chosen holds
        Assert.All(ways.Skip(secondTrialEnd), Assert.False);
        Assert.False(choice.Sharded);
    }

    [Fact]
    public void TimesArePerToken()
    {
        // Sharded steps take longer but carry three times the tokens: per token they are faster.
        var choice = new ShardingChoice();
        for (int i = 0; i < ShardingChoice.WarmupSteps + ShardingChoice.TrialSteps; i++)
        {
            bool s = choice.Next();
            choice.Record(s, s ? 0.02 : 0.01, s ? 300 : 100);
        }
        Assert.True(choice.Sharded);
    }
}
