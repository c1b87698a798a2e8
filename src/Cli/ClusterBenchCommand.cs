using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rollouts.Agent;
using Rollouts.Config;
using Rollouts.Crafter;
using Rollouts.Grains;
using Rollouts.Grains.Policy;
using Rollouts.Silo;

namespace Rollouts.Cli;

/// <summary>
/// <c>rollouts cluster-bench</c>: env steps/s of the full actor system (embedded silo: actor, environment and inference
/// grains, trajectory stream, learner intake) against a single-process loop with the same model and batch size
/// (actors x envs prompts per forward pass), and the inference grain's mean batch size against the number of actors.
/// Learning is off in both (no PPO update runs), so the numbers compare the rollout paths only.
/// Prints key=value lines.
/// </summary>
internal static class ClusterBenchCommand
{
    public static Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "Measured seconds per setting.", DefaultValueFactory = _ => 10 };
        var actors = new Option<string>("--actors") { Description = "Actor counts, comma-separated.", DefaultValueFactory = _ => "1,2,4,8" };
        var envs = new Option<int>("--envs") { Description = "Envs per actor.", DefaultValueFactory = _ => 8 };
        var config = new Option<string?>("--config") { Description = "Model and env settings from this config (default: configs/quick.yaml values)." };
        var command = new Command("cluster-bench", "Benchmark: actor system vs single-process loop (env steps/s), inference batch size vs actors.");
        command.Options.Add(seconds);
        command.Options.Add(actors);
        command.Options.Add(envs);
        command.Options.Add(config);
        command.SetAction(async (parse, ct) =>
        {
            var baseConfig = parse.GetValue(config) is { } path ? ConfigLoader.Load(path) : new RolloutsConfig();
            var counts = (parse.GetValue(actors) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            int k = parse.GetValue(envs);
            double secs = parse.GetValue(seconds);
            Console.WriteLine($"cores={Environment.ProcessorCount} envs_per_actor={k} model=d{baseConfig.Model.DModel}x{baseConfig.Model.Layers} seconds={secs.ToString(CultureInfo.InvariantCulture)}");
            foreach (int a in counts)
            {
                var c = Configure(baseConfig, a, k);
                double single = SingleProcess(c, a * k, secs);
                var (actorSystem, meanBatch, meanRequests) = await ActorSystem(c, secs, ct);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"actors={a} batch={a * k} single_process_steps_per_s={single:F0} actor_system_steps_per_s={actorSystem:F0} ratio={actorSystem / single:F2} inference_mean_batch={meanBatch:F1} inference_mean_requests_per_batch={meanRequests:F2}"));
            }
            return 0;
        });
        return command;
    }

    private static RolloutsConfig Configure(RolloutsConfig b, int actors, int envs)
    {
        var c = ConfigLoader.Parse(ConfigLoader.ToYaml(b), "bench");
        c.Experiment.Name = $"bench-{actors}";
        c.Experiment.TotalEnvSteps = long.MaxValue / 4;
        c.Experiment.MaxMinutes = 60;
        c.Env.EnvsPerActor = envs;
        c.Rollout.Actors = actors;
        c.Inference.MaxBatch = actors * envs;
        c.Sft.Steps = 0;                    // no warm-up: the initial weights act
        c.Ppo.StepsPerUpdate = int.MaxValue; // no update: rollouts only
        return c;
    }

    /// <summary>All envs in one loop: encode prompts, one batched forward pass, step every env.</summary>
    private static double SingleProcess(RolloutsConfig c, int n, double seconds)
    {
        using var policy = new TorchDecisionPolicy(c);
        var options = new CrafterOptions { AreaWidth = c.Env.Area, AreaHeight = c.Env.Area, Length = c.Env.Length };
        var envs = new CrafterEnv[n];
        var contexts = new AgentContext[n];
        for (int i = 0; i < n; i++)
        {
            envs[i] = new CrafterEnv(EnvSpec.EnvSeed(c.Experiment.Seed, i / c.Env.EnvsPerActor, i % c.Env.EnvsPerActor), options);
            envs[i].Reset();
            contexts[i] = new AgentContext();
        }
        var prompts = new int[n][];
        long steps = 0;
        var clock = Stopwatch.StartNew();
        double warmup = Math.Min(2, seconds / 3), start = 0;
        while (true)
        {
            for (int i = 0; i < n; i++) prompts[i] = ObservationEncoder.EncodePrompt(envs[i], contexts[i]);
            var outputs = policy.DecideBatch(prompts);
            for (int i = 0; i < n; i++)
            {
                AgentDecision decision;
                try { decision = AgentDecision.FromOutputTokens(outputs[i].Tokens); }
                catch (Exception e) when (e is UnknownTokenException or PlanParseException) { decision = AgentDecision.ActOnlyDecision(CrafterAction.Noop); }
                contexts[i].Record(decision);
                if (envs[i].Step(decision.Action).Done)
                {
                    envs[i].Reset();
                    contexts[i].Reset();
                }
            }
            double t = clock.Elapsed.TotalSeconds;
            if (start == 0 && t >= warmup) { start = t; steps = 0; continue; }
            if (start > 0) steps += n;
            if (start > 0 && t - start >= seconds) return steps / (t - start);
        }
    }

    private static async Task<(double StepsPerSecond, double MeanBatch, double MeanRequests)> ActorSystem(RolloutsConfig c, double seconds, CancellationToken ct)
    {
        using var host = RolloutsHost.Build(new SiloSettings
        {
            SiloPort = Rollouts.Cli.ClusterCommandsPorts.Free(11111),
            GatewayPort = Rollouts.Cli.ClusterCommandsPorts.Free(30000),
            WeightsDirectory = Path.Combine(Path.GetTempPath(), "rollouts-bench-weights"),
        });
        await host.StartAsync(ct);
        try
        {
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var experiment = grains.GetGrain<IExperimentGrain>(c.Experiment.Name);
            await experiment.Submit(ConfigLoader.ToYaml(c), "bench");
            while ((await experiment.GetStatus()).Phase != ExperimentPhase.Ppo) await Task.Delay(50, ct);
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(2, seconds / 3)), ct);
            var before = await experiment.GetStatus();
            var inference = grains.GetGrain<IInferenceGrain>(RolloutsNames.InferenceKey(c.Experiment.Name, 0));
            var statsBefore = await inference.GetStats();
            var clock = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
            var after = await experiment.GetStatus();
            var statsAfter = await inference.GetStats();
            double elapsed = clock.Elapsed.TotalSeconds;
            await experiment.Stop();
            long batches = statsAfter.Batches - statsBefore.Batches;
            double meanBatch = batches == 0 ? 0 : (double)(statsAfter.Prompts - statsBefore.Prompts) / batches;
            double meanRequests = batches == 0 ? 0 : (double)(statsAfter.Requests - statsBefore.Requests) / batches;
            return ((after.EnvSteps - before.EnvSteps) / elapsed, meanBatch, meanRequests);
        }
        finally { await host.StopAsync(CancellationToken.None); }
    }
}

internal static class ClusterCommandsPorts
{
    public static int Free(int preferred)
    {
        try
        {
            var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, preferred);
            l.Start();
            l.Stop();
            return preferred;
        }
        catch (System.Net.Sockets.SocketException)
        {
            var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            l.Start();
            int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }
    }
}
