using Rollouts.Config;

namespace Rollouts.Grains.Tests;

internal static class TestConfigs
{
    private static int _next;

    /// <summary>A small experiment with a unique name (tests share one cluster).</summary>
    public static RolloutsConfig Small(string prefix, Action<RolloutsConfig>? change = null)
    {
        var c = new RolloutsConfig();
        c.Experiment.Name = $"{prefix}-{Interlocked.Increment(ref _next)}";
        c.Experiment.TotalEnvSteps = 400;
        c.Env.EnvsPerActor = 2;
        c.Env.Length = 40;
        c.Rollout.Actors = 2;
        c.Rollout.ChunkLength = 8;
        c.Inference.MaxBatch = 8;
        c.Inference.MaxWaitMs = 2;
        c.Inference.WeightPollMs = 100;
        c.Ppo.StepsPerUpdate = 64;
        c.Learner.MaxPolicyLag = 100;
        change?.Invoke(c);
        return c;
    }

    public static string Yaml(RolloutsConfig c) => ConfigLoader.ToYaml(c);

    public static async Task WaitUntil(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Gave up after {seconds} s waiting for: {what}");
            await Task.Delay(25);
        }
    }
}
