using Rollouts.Crafter;

namespace Rollouts.Agent.Evaluation;

/// <summary>Plays episodes: one env per episode, env seed = <c>baseSeed * 1000 + index</c>.</summary>
public static class EpisodeRunner
{
    /// <summary>The env seed of episode <paramref name="index"/> in a run with seed <paramref name="seed"/>.</summary>
    public static long EpisodeSeed(long seed, int index) => checked(seed * 1000 + index);

    /// <summary>Plays one episode to its end; <paramref name="onStep"/> sees the env before each step and the decision.</summary>
    public static EpisodeResult Play(IAgent agent, long envSeed, int length, Action<CrafterEnv, AgentDecision>? onStep = null)
    {
        var env = new CrafterEnv(envSeed, new CrafterOptions { Length = length });
        env.Reset();
        agent.Reset(env);
        double total = 0;
        int planSteps = 0;
        long planTokens = 0;
        int steps = 0;
        while (true)
        {
            var decision = agent.Decide(env);
            onStep?.Invoke(env, decision);
            if (decision.Plan is not null)
            {
                planSteps++;
                planTokens += decision.PlanTokenCount;
            }
            var result = env.Step(decision.Action);
            steps++;
            total += result.Reward;
            if (result.Done) break;
        }
        return new EpisodeResult(envSeed, steps, total, env.UnlockedAchievements, planSteps, planTokens);
    }

    /// <summary>
    /// Plays <paramref name="episodes"/> episodes in parallel, each with a fresh agent from <paramref name="createAgent"/>.
    /// Results are in episode order and do not depend on scheduling (each episode is deterministic in its seed).
    /// </summary>
    public static EpisodeResult[] PlayMany(Func<int, IAgent> createAgent, long seed, int episodes, int length,
        int maxParallelism = -1, Action<EpisodeResult>? onEpisodeDone = null, CancellationToken cancellation = default)
    {
        if (episodes <= 0) throw new ArgumentOutOfRangeException(nameof(episodes), episodes, "episodes must be positive.");
        var results = new EpisodeResult[episodes];
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount,
            CancellationToken = cancellation,
        };
        Parallel.For(0, episodes, options, i =>
        {
            results[i] = Play(createAgent(i), EpisodeSeed(seed, i), length);
            onEpisodeDone?.Invoke(results[i]);
        });
        return results;
    }
}
