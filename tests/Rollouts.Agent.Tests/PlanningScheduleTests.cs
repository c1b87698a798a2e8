using Rollouts.Agent;
using Rollouts.Agent.Teaching;
using Rollouts.Crafter;

namespace Rollouts.Agent.Tests;

public class PlanningScheduleTests
{
    private static List<int> PlanSteps(PlanningSchedule schedule, int steps = 64)
    {
        var env = new CrafterEnv(5, new CrafterOptions { Length = steps });
        env.Reset();
        var teacher = new Teacher(new TeacherOptions { Schedule = schedule });
        teacher.Reset(env);
        var planned = new List<int>();
        for (int step = 0; step < steps; step++)
        {
            var d = teacher.Decide(env);
            if (d.Plan is not null)
            {
                planned.Add(step);
                Assert.Equal(Vocabulary.Plan, d.OutputTokens[0]);
                Assert.Equal(d.Plan, teacher.Context.Plan);
                Assert.Equal(0, teacher.Context.PlanAge - 1); // recorded: one step later now
            }
            else
            {
                Assert.Equal(2, d.OutputTokens.Length);
            }
            if (env.Step(d.Action).Done) break;
        }
        return planned;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    public void Every_k_plans_exactly_every_k_steps(int k)
    {
        Assert.Equal(Enumerable.Range(0, 64).Where(s => s % k == 0), PlanSteps(PlanningSchedule.Every(k)));
    }

    [Fact]
    public void Every_step_plans_always_and_never_plans_never()
    {
        Assert.Equal(Enumerable.Range(0, 64), PlanSteps(PlanningSchedule.EveryStep));
        Assert.Empty(PlanSteps(PlanningSchedule.Never));
    }

    [Fact]
    public void On_event_plans_at_the_start_and_then_only_sometimes()
    {
        var steps = PlanSteps(PlanningSchedule.OnEvent, 200);
        Assert.Equal(0, steps[0]);
        Assert.InRange(steps.Count, 2, 100);
    }

    [Fact]
    public void Names_parse_and_mixed_episodes_draw_every_kind()
    {
        Assert.Equal(PlanningSchedule.Every(8), PlanningSchedule.Parse("every-8"));
        Assert.Equal(PlanningSchedule.EveryStep, PlanningSchedule.Parse("every"));
        Assert.Equal(PlanningSchedule.Never, PlanningSchedule.Parse("NEVER"));
        Assert.Throws<ArgumentException>(() => PlanningSchedule.Parse("sometimes"));
        var drawn = Enumerable.Range(0, 200).Select(i => PlanningSchedule.ForEpisode(123_000 + i)).Distinct().ToList();
        Assert.Equal(PlanningSchedule.Mixture.Count, drawn.Count);
    }
}
