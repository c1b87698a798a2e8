using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rollouts.Agent;
using Rollouts.Config;
using Rollouts.Grains;
using Rollouts.Silo;

namespace Rollouts.Cli;

/// <summary>
/// The distributed side of the console: <c>run</c> (one embedded silo with every role runs an experiment end to end),
/// <c>silo</c> (start a silo with roles), and the client commands <c>submit</c>, <c>status</c>, <c>steer</c>, <c>stop</c>.
/// Every failure is one clear line on stderr and a non-zero exit code (2: bad input, 1: the cluster or the run failed).
/// </summary>
internal static class ClusterCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Run());
        root.Subcommands.Add(SiloCommand());
        root.Subcommands.Add(Submit());
        root.Subcommands.Add(Status());
        root.Subcommands.Add(Steer());
        root.Subcommands.Add(Stop());
        root.Subcommands.Add(ClusterBenchCommand.Create());
    }

    // ---- shared options ----

    private sealed class ClusterOptions
    {
        public readonly Option<string[]> Gateway = new("--gateway")
        {
            Description = "Gateway endpoint(s) of a localhost/static cluster, HOST:PORT (default 127.0.0.1:30000).",
            AllowMultipleArgumentsPerToken = true,
        };
        public readonly Option<string?> Azure = new("--azure-storage") { Description = "Azure Storage connection string (Azure Table membership); default: $ROLLOUTS_AZURE_STORAGE." };
        public readonly Option<string> ClusterId = new("--cluster-id") { Description = "Orleans cluster id.", DefaultValueFactory = _ => "rollouts" };

        public void AddTo(Command c)
        {
            c.Options.Add(Gateway);
            c.Options.Add(Azure);
            c.Options.Add(ClusterId);
        }

        public (SiloSettings Settings, IPEndPoint[] Gateways) Read(ParseResult parse)
        {
            var gateways = (parse.GetValue(Gateway) is { Length: > 0 } g ? g : ["127.0.0.1:30000"]).Select(ParseEndPoint).ToArray();
            string? azure = parse.GetValue(Azure) ?? Environment.GetEnvironmentVariable("ROLLOUTS_AZURE_STORAGE");
            string clusterId = parse.GetValue(ClusterId) ?? "rollouts";
            return (new SiloSettings { AzureStorage = string.IsNullOrWhiteSpace(azure) ? null : azure, ClusterId = clusterId }, gateways);
        }
    }

    private static IPEndPoint ParseEndPoint(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is <= 0 or > 65535)
            throw new UsageException($"'{text}' is not HOST:PORT");
        string host = text[..colon];
        if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, port);
        try
        {
            var address = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? throw new UsageException($"host '{host}' has no IPv4 address");
            return new IPEndPoint(address, port);
        }
        catch (SocketException e) { throw new UsageException($"cannot resolve host '{host}': {e.Message}"); }
    }

    private sealed class UsageException(string message) : Exception(message);

    /// <summary>Runs a command body; maps the known failures to one line and an exit code.</summary>
    private static async Task<int> Guard(Func<Task<int>> body)
    {
        try { return await body(); }
        catch (UsageException e) { return Fail(e.Message, 2); }
        catch (ConfigException e) { return Fail(e.Message, 2); }
        catch (PlanParseException e) { return Fail($"bad plan: {e.Message}", 2); }
        catch (ExperimentRejectedException e) { return Fail(e.Message, 2); }
        catch (ArgumentException e) { return Fail(e.Message, 2); }
        catch (ClusterUnreachableException e) { return Fail(e.Message, 1); }
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }

    private static async Task<T> WithClient<T>(ClusterOptions cluster, ParseResult parse, Func<IGrainFactory, Task<T>> body)
    {
        var (settings, gateways) = cluster.Read(parse);
        using var host = await RolloutsClient.ConnectAsync(settings, gateways);
        try { return await body(host.Services.GetRequiredService<IClusterClient>()); }
        finally { await host.StopAsync(); }
    }

    // ---- run ----

    private static Command Run()
    {
        var config = new Option<string>("--config") { Description = "Experiment config (YAML).", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for summary.json, metrics.csv, plots and report.md.", DefaultValueFactory = _ => "runs/latest" };
        var dashboard = new Option<int>("--dashboard-port") { Description = "Serve the Orleans dashboard on this port (0: off)." };
        var quiet = new Option<bool>("--quiet") { Description = "No live progress line." };
        var command = new Command("run", "Run an experiment end to end on one embedded silo with every role (in-memory storage and streams, localhost clustering).");
        command.Options.Add(config);
        command.Options.Add(output);
        command.Options.Add(dashboard);
        command.Options.Add(quiet);
        command.SetAction((parse, ct) => Guard(() => RunAsync(parse.GetValue(config)!, parse.GetValue(output)!, parse.GetValue(dashboard), parse.GetValue(quiet), ct)));
        return command;
    }

    private static async Task<int> RunAsync(string configPath, string outDir, int dashboardPort, bool quiet, CancellationToken ct)
    {
        var config = ConfigLoader.Load(configPath);
        Rollouts.Grains.Policy.PolicySetup.CheckDeviceAvailable(config, configPath); // every role runs here: a GPU the config asks for must be here
        string yaml = File.ReadAllText(configPath);
        Directory.CreateDirectory(outDir);
        var settings = new SiloSettings
        {
            SiloPort = FreePort(11111),
            GatewayPort = FreePort(30000),
            DashboardPort = dashboardPort,
            WeightsDirectory = Path.Combine(outDir, "checkpoints"),
        };
        using var host = RolloutsHost.Build(settings);
        await host.StartAsync(ct);
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var experiment = grains.GetGrain<IExperimentGrain>(config.Experiment.Name);
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"rollouts run: experiment '{config.Experiment.Name}' on an embedded silo (gateway 127.0.0.1:{settings.GatewayPort}); outputs in {outDir}");
        await experiment.Submit(yaml, configPath);

        var rows = new List<MetricsRow>();
        double sftSeconds = 0;
        bool interactive = !quiet && !Console.IsOutputRedirected;
        double lastPrinted = -1e9;
        ExperimentStatus status;
        bool cancelled = false;
        while (true)
        {
            try { await Task.Delay(1000, ct); }
            catch (OperationCanceledException) { cancelled = true; }
            if (cancelled)
            {
                Console.Error.WriteLine();
                Console.Error.WriteLine("stopping: the actors stop, the learner takes in what was published");
                await experiment.Stop();
            }
            status = await experiment.GetStatus();
            double t = clock.Elapsed.TotalSeconds;
            if (status.PpoStartedUtc is null) sftSeconds = t;
            double sps = status.PpoStartedUtc is { } started ? status.PpoEnvSteps / Math.Max(1e-9, (DateTime.UtcNow - started).TotalSeconds) : 0;
            rows.Add(new MetricsRow(t, status.Phase, status.EnvSteps, status.Episodes, sps, status.CrafterScore, status.MeanReturn,
                status.PlanningRate, status.TokensPerStep, status.PolicyVersion, status.LearnerLoss, status.LearnerLossKind,
                status.ChunksPublished, status.ChunksIngested, status.LearnerUpdates, status.MeanPolicyLag));
            string line = ProgressLine(status, t, sps, config);
            if (interactive) Console.Write("\r" + line.PadRight(Math.Max(0, Console.WindowWidth - 1 > 0 ? Math.Min(Console.WindowWidth - 1, 200) : line.Length)));
            else if (!quiet && t - lastPrinted >= 10)
            {
                Console.WriteLine(line);
                lastPrinted = t;
            }
            if (status.Phase is ExperimentPhase.Done or ExperimentPhase.Stopped or ExperimentPhase.Failed) break;
        }
        if (interactive) Console.WriteLine();

        // Everything published reaches the learner before the numbers are final.
        var learner = grains.GetGrain<ILearnerGrain>(config.Experiment.Name);
        await learner.Drain(status.ChunksPublished, TimeSpan.FromSeconds(120));
        status = await experiment.GetStatus();
        var inference = new List<InferenceStats>();
        if (config.Rollout.Policy == "model")
            for (int r = 0; r < config.Inference.Replicas; r++)
                inference.Add(await grains.GetGrain<IInferenceGrain>(RolloutsNames.InferenceKey(config.Experiment.Name, r)).GetStats());
        double wall = clock.Elapsed.TotalSeconds;
        rows.Add(rows.Count > 0 ? rows[^1] with { Seconds = wall, ChunksIngested = status.ChunksIngested, Phase = status.Phase } : new MetricsRow(wall, status.Phase, status.EnvSteps, status.Episodes, 0, status.CrafterScore, status.MeanReturn, status.PlanningRate, status.TokensPerStep, status.PolicyVersion, status.LearnerLoss, status.LearnerLossKind, status.ChunksPublished, status.ChunksIngested, status.LearnerUpdates, status.MeanPolicyLag));
        RunReport.Write(outDir, configPath, config, status, rows, inference, wall, sftSeconds);
        await host.StopAsync(CancellationToken.None);

        Console.WriteLine($"done: phase {status.Phase.ToString().ToLowerInvariant()}, {status.EnvSteps} env steps, {status.Episodes} episodes, " +
                          $"Crafter score {status.CrafterScore:F2}%, planning rate {status.PlanningRate:F3}, policy v{status.PolicyVersion}, " +
                          $"chunks {status.ChunksPublished} published / {status.ChunksIngested} ingested; wrote {Path.Combine(outDir, "summary.json")}");
        if (status.Phase == ExperimentPhase.Failed) return Fail($"the experiment failed: {status.Error}", 1);
        if (status.ChunksIngested != status.ChunksPublished)
            return Fail($"the learner ingested {status.ChunksIngested} of {status.ChunksPublished} published chunks", 1);
        return 0;
    }

    private static string ProgressLine(ExperimentStatus s, double t, double sps, RolloutsConfig config)
    {
        string loss = s.LearnerLoss is { } l && double.IsFinite(l) ? $"{s.LearnerLossKind} loss {l:F3}" : "loss -";
        string budget = $"{s.PpoEnvSteps}/{config.Experiment.TotalEnvSteps}";
        return string.Create(CultureInfo.InvariantCulture,
            $"[{t,6:F0}s] {s.Phase.ToString().ToLowerInvariant(),-4} steps {budget} ({sps:F0}/s) episodes {s.Episodes} score {s.CrafterScore:F2}% plan-rate {s.PlanningRate:F2} tok/step {s.TokensPerStep:F1} policy v{s.PolicyVersion} {loss} chunks {s.ChunksIngested}/{s.ChunksPublished}");
    }

    private static int FreePort(int preferred)
    {
        try
        {
            var l = new TcpListener(IPAddress.Loopback, preferred);
            l.Start();
            l.Stop();
            return preferred;
        }
        catch (SocketException)
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }
    }

    // ---- silo ----

    private static Command SiloCommand()
    {
        var role = new Option<string>("--role") { Description = "Roles, comma-separated: all, rollout, inference, learner.", DefaultValueFactory = _ => "all" };
        var port = new Option<int>("--port") { Description = "Silo-to-silo port.", DefaultValueFactory = _ => 11111 };
        var gateway = new Option<int>("--gateway-port") { Description = "Client gateway port.", DefaultValueFactory = _ => 30000 };
        var primary = new Option<string?>("--primary") { Description = "Localhost clustering: the primary silo's HOST:PORT (omit on the primary)." };
        var azure = new Option<string?>("--azure-storage") { Description = "Azure Storage connection string: Azure Table membership, Blob state and weights; default $ROLLOUTS_AZURE_STORAGE." };
        var clusterId = new Option<string>("--cluster-id") { Description = "Orleans cluster id.", DefaultValueFactory = _ => "rollouts" };
        var persistent = new Option<bool>("--persistent-streams") { Description = "Azure Queue streams instead of memory streams (needs Azure Storage)." };
        var kubernetes = new Option<bool>("--kubernetes") { Description = "Kubernetes hosting (pod identity from the environment)." };
        var dashboard = new Option<int>("--dashboard-port") { Description = "Orleans dashboard port (0: off).", DefaultValueFactory = _ => 0 };
        var weights = new Option<string?>("--weights-dir") { Description = "Folder for published weights without Azure Storage." };
        var metrics = new Option<bool>("--metrics-console") { Description = "Print OpenTelemetry metrics every 10 s." };
        var command = new Command("silo", "Start a silo with the given roles and run until stopped (Ctrl+C or SIGTERM).");
        foreach (var o in new Option[] { role, port, gateway, primary, azure, clusterId, persistent, kubernetes, dashboard, weights, metrics }) command.Options.Add(o);
        command.SetAction((parse, ct) => Guard(async () =>
        {
            SiloRoles roles;
            try { roles = SiloRoles.Parse(parse.GetValue(role) ?? ""); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            string? conn = parse.GetValue(azure) ?? Environment.GetEnvironmentVariable("ROLLOUTS_AZURE_STORAGE");
            var settings = new SiloSettings
            {
                Roles = roles,
                SiloPort = parse.GetValue(port),
                GatewayPort = parse.GetValue(gateway),
                PrimarySilo = parse.GetValue(primary) is { } p ? ParseEndPoint(p) : null,
                AzureStorage = string.IsNullOrWhiteSpace(conn) ? null : conn,
                ClusterId = parse.GetValue(clusterId) ?? "rollouts",
                PersistentStreams = parse.GetValue(persistent),
                Kubernetes = parse.GetValue(kubernetes),
                DashboardPort = parse.GetValue(dashboard),
                WeightsDirectory = parse.GetValue(weights) ?? Path.Combine(Path.GetTempPath(), "rollouts-weights"),
                MetricsToConsole = parse.GetValue(metrics),
            };
            using var host = RolloutsHost.Build(settings, logging: l => l.AddSimpleConsoleLogging());
            try { await host.StartAsync(ct); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Fail($"the silo did not start: {e.Message.Split('\n')[0]}", 1);
            }
            Console.WriteLine($"silo up: roles {roles}, silo port {settings.SiloPort}, gateway {settings.GatewayPort}" +
                              (settings.AzureStorage is null ? ", localhost clustering" : ", Azure Table membership") +
                              (settings.DashboardPort > 0 ? $", dashboard http://localhost:{settings.DashboardPort}/" : ""));
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { }
            Console.WriteLine("silo stopping");
            await host.StopAsync(CancellationToken.None);
            return 0;
        }));
        return command;
    }

    private static void AddSimpleConsoleLogging(this Microsoft.Extensions.Logging.ILoggingBuilder logging)
    {
        logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Information);
        logging.AddFilter("Orleans", Microsoft.Extensions.Logging.LogLevel.Warning);
        logging.AddFilter("Microsoft", Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    // ---- client commands ----

    private static Command Submit()
    {
        var cluster = new ClusterOptions();
        var config = new Option<string>("--config") { Description = "Experiment config (YAML).", Required = true };
        var command = new Command("submit", "Submit an experiment to a running cluster (it starts with the SFT warm-up).");
        command.Options.Add(config);
        cluster.AddTo(command);
        command.SetAction(parse => Guard(async () =>
        {
            string path = parse.GetValue(config)!;
            var parsed = ConfigLoader.Load(path); // bad configs fail here, before the cluster is contacted
            string yaml = File.ReadAllText(path);
            var status = await WithClient(cluster, parse, g => g.GetGrain<IExperimentGrain>(parsed.Experiment.Name).Submit(yaml, path));
            Console.WriteLine($"submitted '{status.ExperimentId}': phase {status.Phase.ToString().ToLowerInvariant()}");
            return 0;
        }));
        return command;
    }

    private static Option<string> ExperimentOption() =>
        new("--experiment") { Description = "Experiment name (experiment.name of its config).", Required = true };

    private static Command Status()
    {
        var cluster = new ClusterOptions();
        var experiment = ExperimentOption();
        var json = new Option<bool>("--json") { Description = "Print the status as JSON." };
        var command = new Command("status", "Show an experiment's phase, counters, score and policy version.");
        command.Options.Add(experiment);
        command.Options.Add(json);
        cluster.AddTo(command);
        command.SetAction(parse => Guard(async () =>
        {
            var s = await WithClient(cluster, parse, g => g.GetGrain<IExperimentGrain>(parse.GetValue(experiment)!).GetStatus());
            if (parse.GetValue(json))
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(s, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            Console.WriteLine($"experiment {s.ExperimentId}: phase {s.Phase.ToString().ToLowerInvariant()}, policy v{s.PolicyVersion}");
            Console.WriteLine($"  env steps {s.EnvSteps} (PPO {s.PpoEnvSteps}), episodes {s.Episodes}, Crafter score {s.CrafterScore:F2}%, mean return {s.MeanReturn:F2}");
            Console.WriteLine($"  planning rate {s.PlanningRate:F3}, tokens/step {s.TokensPerStep:F2}, actors {s.Actors} (failures {s.ActorFailures})");
            Console.WriteLine($"  chunks published {s.ChunksPublished}, ingested {s.ChunksIngested}, dropped {s.ChunksDropped}; learner updates {s.LearnerUpdates}, loss {(s.LearnerLoss is { } l ? l.ToString("F4", CultureInfo.InvariantCulture) : "-")} {s.LearnerLossKind}");
            if (s.SteeringPlan is not null) Console.WriteLine($"  steering plan: {s.SteeringPlan}");
            if (s.Error is not null) Console.WriteLine($"  error: {s.Error}");
            return s.Phase == ExperimentPhase.Created && s.StartedUtc is null ? Fail($"no experiment '{s.ExperimentId}' was submitted", 1) : 0;
        }));
        return command;
    }

    private static Command Steer()
    {
        var cluster = new ClusterOptions();
        var experiment = ExperimentOption();
        var plan = new Option<string?>("--plan") { Description = "A person's plan: subgoals separated by ',', ';' or 'then' (e.g. \"collect wood, place table\")." };
        var clear = new Option<bool>("--clear") { Description = "Remove the steering plan." };
        var command = new Command("steer", "Give the agents a person's plan (checked against the subgoal list) as their current plan.");
        command.Options.Add(experiment);
        command.Options.Add(plan);
        command.Options.Add(clear);
        cluster.AddTo(command);
        command.SetAction(parse => Guard(async () =>
        {
            string? text = parse.GetValue(plan);
            bool remove = parse.GetValue(clear);
            if (text is null == !remove) throw new UsageException("give either --plan \"...\" or --clear");
            string? normalized = text is null ? null : PlanParser.Format(PlanParser.Parse(text)); // unknown subgoals fail here
            await WithClient(cluster, parse, async g =>
            {
                await g.GetGrain<IExperimentGrain>(parse.GetValue(experiment)!).Steer(normalized);
                return 0;
            });
            Console.WriteLine(normalized is null ? "steering plan cleared" : $"steering plan: {normalized}");
            return 0;
        }));
        return command;
    }

    private static Command Stop()
    {
        var cluster = new ClusterOptions();
        var experiment = ExperimentOption();
        var command = new Command("stop", "Stop an experiment's actors (the learner keeps what was published).");
        command.Options.Add(experiment);
        cluster.AddTo(command);
        command.SetAction(parse => Guard(async () =>
        {
            var s = await WithClient(cluster, parse, g => g.GetGrain<IExperimentGrain>(parse.GetValue(experiment)!).Stop());
            Console.WriteLine($"experiment {s.ExperimentId}: phase {s.Phase.ToString().ToLowerInvariant()}, {s.EnvSteps} env steps, {s.ChunksPublished} chunks");
            return 0;
        }));
        return command;
    }
}
