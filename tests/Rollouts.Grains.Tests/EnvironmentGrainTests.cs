using Rollouts.Agent;
using Rollouts.Crafter;

namespace Rollouts.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class EnvironmentGrainTests(ClusterFixture fixture)
{
    private static int[][] Act(int k, CrafterAction action) =>
        Enumerable.Range(0, k).Select(_ => AgentDecision.ActOnlyDecision(action).OutputTokens).ToArray();

    [Fact]
    public async Task Init_returns_one_prompt_per_env_seeded_from_the_experiment()
    {
        var spec = new EnvSpec("env-init", 0, 3, 7, 64, 100, false);
        var env = fixture.Cluster.GrainFactory.GetGrain<IEnvironmentGrain>(RolloutsNames.EnvKey("env-init", 0));
        var obs = await env.Init(spec);
        Assert.Equal(3, obs.Tokens.Length);
        Assert.All(obs.Tokens, p => Assert.Equal(Vocabulary.Bos, p[0]));
        Assert.Equal([1, 1, 1], obs.Episodes);

        // The same prompt as a local env with the derived seed.
        var local = new CrafterEnv(spec.SeedOf(1), new CrafterOptions { Length = 100 });
        local.Reset();
        Assert.Equal(ObservationEncoder.EncodePrompt(local, new AgentContext()), obs.Tokens[1]);
        Assert.NotEqual(spec.SeedOf(0), spec.SeedOf(1));
    }

    [Fact]
    public async Task Step_matches_local_envs_and_auto_resets_with_a_replayable_summary()
    {
        const int length = 12;
        var spec = new EnvSpec("env-step", 1, 2, 3, 64, length, false);
        var env = fixture.Cluster.GrainFactory.GetGrain<IEnvironmentGrain>(RolloutsNames.EnvKey("env-step", 1));
        await env.Init(spec);
        var local = new CrafterEnv(spec.SeedOf(0), new CrafterOptions { Length = length });
        local.Reset();
        var context = new AgentContext();
        double localReturn = 0;
        EnvStepResults? last = null;
        for (int t = 0; t < length; t++)
        {
            var action = t % 2 == 0 ? CrafterAction.Do : CrafterAction.MoveLeft;
            last = await env.Step(Act(2, action));
            context.Record(AgentDecision.ActOnlyDecision(action));
            var r = local.Step(action);
            localReturn += r.Reward;
            Assert.Equal((float)r.Reward, last.Rewards[0]);
            Assert.Equal(r.Done, last.Dones[0]);
            if (!r.Done) Assert.Equal(ObservationEncoder.EncodePrompt(local, context), last.Next.Tokens[0]);
        }
        Assert.True(last!.Dones[0]);
        Assert.Equal(2, last.Finished.Length);
        var summary = last.Finished.Single(s => s.EnvIndex == 0);
        Assert.Equal(spec.SeedOf(0), summary.Seed);
        Assert.Equal(1, summary.Episode);
        Assert.Equal(length, summary.Length);
        Assert.Equal(localReturn, summary.Return, 6);
        Assert.Equal(local.UnlockedAchievements, summary.Achievements);
        // Auto-reset: the next observation is episode 2 of the same seed, with a fresh context.
        Assert.Equal([2, 2], last.Next.Episodes);
        local.Reset();
        Assert.Equal(ObservationEncoder.EncodePrompt(local, new AgentContext()), last.Next.Tokens[0]);
    }

    [Fact]
    public async Task A_plan_in_the_output_becomes_the_envs_current_plan_and_malformed_output_is_a_noop()
    {
        var spec = new EnvSpec("env-plan", 0, 2, 5, 64, 100, false);
        var env = fixture.Cluster.GrainFactory.GetGrain<IEnvironmentGrain>(RolloutsNames.EnvKey("env-plan", 0));
        await env.Init(spec);
        var planned = AgentDecision.WithPlan(CrafterAction.Noop, [Subgoal.CollectWood, Subgoal.PlaceTable]).OutputTokens;
        var result = await env.Step([planned, [Vocabulary.Plan, 12345]]);
        Assert.Contains(Vocabulary.Plan, result.Next.Tokens[0]);
        Assert.DoesNotContain(Vocabulary.Plan, result.Next.Tokens[1]);
    }

    [Fact]
    public async Task Teacher_mode_returns_the_teachers_outputs()
    {
        var spec = new EnvSpec("env-teacher", 0, 2, 5, 64, 100, true);
        var env = fixture.Cluster.GrainFactory.GetGrain<IEnvironmentGrain>(RolloutsNames.EnvKey("env-teacher", 0));
        var obs = await env.Init(spec);
        Assert.NotNull(obs.TeacherOutputs);
        for (int t = 0; t < 5; t++)
        {
            Assert.All(obs.TeacherOutputs!, o => Assert.Equal(Vocabulary.Act, o[^2]));
            obs = (await env.Step(obs.TeacherOutputs!)).Next;
        }
    }

    [Fact]
    public async Task Steering_puts_the_persons_plan_in_every_prompt()
    {
        var spec = new EnvSpec("env-steer", 0, 2, 5, 64, 100, false);
        var env = fixture.Cluster.GrainFactory.GetGrain<IEnvironmentGrain>(RolloutsNames.EnvKey("env-steer", 0));
        await env.Init(spec);
        var obs = await env.SetPlan("collect wood, place table");
        var planTokens = Subgoals.PlanTokens([Subgoal.CollectWood, Subgoal.PlaceTable]);
        Assert.All(obs.Tokens, p => Assert.True(p.AsSpan().IndexOf(planTokens) >= 0));
    }

    [Fact]
    public async Task Stepping_before_init_is_a_clear_error()
    {
        var env = fixture.Cluster.GrainFactory.GetGrain<IEnvironmentGrain>("never-initialised/0");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => env.Step([]));
        Assert.Contains("call Init first", e.Message);
    }
}
