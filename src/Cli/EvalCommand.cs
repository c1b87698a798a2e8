using System.CommandLine;
using System.Globalization;
using Rollouts.Agent;
using Rollouts.Agent.Evaluation;
using Rollouts.Crafter;
using Rollouts.Training;
using Spectre.Console;

namespace Rollouts.Cli;

/// <summary>What <c>rollouts eval</c> was asked to do.</summary>
public sealed record EvalOptions
{
    public string Agent { get; init; } = "teacher";
    public string? Plan { get; init; }
    public int Episodes { get; init; } = 50;
    public long Seed { get; init; }
    public string? Out { get; init; }
    public int Length { get; init; } = 10000;
    public string Schedule { get; init; } = "event";
    public int Parallelism { get; init; }
    public double? Temperature { get; init; }
    public string? Planning { get; init; }
}

/// <summary>
/// <c>rollouts eval --agent teacher|plan|checkpoint:PATH [--plan "..."] --episodes 50 --seed 123 --out FILE.json</c>:
/// plays episodes in parallel (episode i uses env seed <c>seed * 1000 + i</c>, and a checkpoint samples each decision
/// from a stream keyed by its env seed and step, so results do not depend on threads or batches),
/// prints a table of success rates, writes the JSON summary (atomically: temp file + rename), and prints
/// <c>crafter_score=X</c> as the last line of stdout.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var agent = new Option<string>("--agent") { Description = "teacher, plan (with --plan), or checkpoint:PATH.", DefaultValueFactory = _ => "teacher" };
        var plan = new Option<string?>("--plan") { Description = "A plan for --agent plan: subgoals separated by commas, e.g. \"collect wood, place table, make wood pickaxe\"." };
        var episodes = new Option<int>("--episodes") { Description = "Episodes to play.", DefaultValueFactory = _ => 50 };
        var seed = new Option<long>("--seed") { Description = "Run seed; episode i uses env seed seed*1000+i.", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out") { Description = "Where to write the JSON summary." };
        var length = new Option<int>("--length") { Description = "Episode length limit in steps.", DefaultValueFactory = _ => 10000 };
        var schedule = new Option<string>("--schedule") { Description = "Teacher planning schedule: every, every-K, event, never, mixed.", DefaultValueFactory = _ => "event" };
        var parallel = new Option<int>("--parallel") { Description = "Episodes played at once (default: one per core; a checkpoint agent: 32, their decisions batched).", DefaultValueFactory = _ => 0 };
        var temperature = new Option<double?>("--temperature") { Description = "Sampling temperature of a checkpoint agent (0: greedy; default: the one it was evaluated with in training, else 1)." };
        var planning = new Option<string?>("--planning") { Description = "Who decides to plan, for a checkpoint agent: policy (default), never (always act directly) or always (a new plan every step)." };
        var command = new Command("eval", "Play episodes with an agent and report the Crafter score and other metrics.");
        foreach (var o in new Option[] { agent, plan, episodes, seed, output, length, schedule, parallel, temperature, planning }) command.Options.Add(o);
        command.SetAction(parse => Run(new EvalOptions
        {
            Agent = parse.GetValue(agent) ?? "teacher",
            Plan = parse.GetValue(plan),
            Episodes = parse.GetValue(episodes),
            Seed = parse.GetValue(seed),
            Out = parse.GetValue(output),
            Length = parse.GetValue(length),
            Schedule = parse.GetValue(schedule) ?? "event",
            Parallelism = parse.GetValue(parallel),
            Temperature = parse.GetValue(temperature),
            Planning = parse.GetValue(planning),
        }, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected));
        return command;
    }

    /// <summary>Runs an evaluation; returns the exit code (0 ok, 2 bad input, 1 failure).</summary>
    public static int Run(EvalOptions options, TextWriter stdout, TextWriter stderr, bool interactive = false)
    {
        Func<long, IAgent> createAgent;
        string? temp = null;
        try
        {
            if (options.Episodes <= 0) throw new AgentSpecException($"--episodes must be positive, got {options.Episodes}.");
            if (options.Length <= 0) throw new AgentSpecException($"--length must be positive, got {options.Length}.");
            if (options.Seed < 0) throw new AgentSpecException($"--seed must be non-negative, got {options.Seed}.");
            createAgent = AgentFactory.Resolve(options.Agent, options.Plan, options.Schedule, options.Temperature, options.Planning);
            if (options.Out is not null) temp = PrepareOutput(options.Out);
        }
        catch (AgentSpecException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }

        try
        {
            var console = CliConsole.Create(stdout, interactive);
            if (!interactive) console.Profile.Width = 240;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            EpisodeResult[] results;
            if (interactive)
            {
                results = [];
                console.Progress().Start(ctx =>
                {
                    var task = ctx.AddTask($"eval {options.Agent}", maxValue: options.Episodes);
                    results = Play(options, createAgent, _ => task.Increment(1));
                });
            }
            else
            {
                results = Play(options, createAgent, null);
            }
            double seconds = watch.Elapsed.TotalSeconds;
            var summary = EvaluationSummary.FromEpisodes(results);
            string agentName = options.Agent.Trim();
            // A forced decision (an ablation) is part of what was evaluated; "policy" is the agent's own, as without the option.
            string? forcedPlanning = AgentFactory.ForcedPlanning(options.Planning);

            var table = new Table().AddColumn("achievement").AddColumn(new TableColumn("success %").RightAligned());
            foreach (string name in CrafterNames.Achievements)
                table.AddRow(name, summary.SuccessRates[name].ToString("F1", CultureInfo.InvariantCulture));
            console.Write(table);
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"agent={agentName}{(forcedPlanning is null ? "" : " planning=" + forcedPlanning)} episodes={summary.Episodes} seed={options.Seed} length<={options.Length} progression={summary.Progression:F4} mean_return={summary.MeanReturn:F2} mean_length={summary.MeanLength:F1} planning_rate={summary.PlanningRate:F4} plan_tokens_per_step={summary.PlanTokensPerStep:F3} episodes/s={summary.Episodes / Math.Max(seconds, 1e-9):F2} steps/s={results.Sum(r => (long)r.Length) / Math.Max(seconds, 1e-9):F0}"));

            if (options.Out is not null)
            {
                File.WriteAllText(temp!, summary.ToJson(agentName, options.Seed, forcedPlanning));
                File.Move(temp!, Path.GetFullPath(options.Out), overwrite: true);
                temp = null;
                console.WriteLine($"wrote {options.Out}");
            }
            stdout.Flush();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"crafter_score={summary.CrafterScore:F2}"));
            stdout.Flush();
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or AgentSpecException or InvalidOperationException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 1;
        }
        finally
        {
            if (temp is not null) TryDelete(temp);
        }
    }

    /// <summary>Default number of episodes a checkpoint agent plays at once: their decisions are one batch.</summary>
    public const int CheckpointBatch = 32;

    private static EpisodeResult[] Play(EvalOptions options, Func<long, IAgent> createAgent, Action<EpisodeResult>? onDone)
    {
        // A checkpoint's episodes step together, every step's decisions in one batch (BatchedEvaluator); one thread per
        // episode would batch only as many decisions as there are cores. Each decision is sampled from its own stream
        // (its env seed and step), so both ways give the same results, as rollouts train's evaluation does.
        if (createAgent(EpisodeRunner.EpisodeSeed(options.Seed, 0)) is PolicyAgent policyAgent)
            return BatchedEvaluator.Play(policyAgent.Batcher.Policy, options.Seed, options.Episodes, options.Length,
                options.Parallelism > 0 ? options.Parallelism : CheckpointBatch, onDone);
        return EpisodeRunner.PlayMany(i => createAgent(EpisodeRunner.EpisodeSeed(options.Seed, i)), options.Seed, options.Episodes,
            options.Length, options.Parallelism, onDone);
    }

    /// <summary>Checks that the output can be written (creates and keeps an empty temp file beside it).</summary>
    private static string PrepareOutput(string path)
    {
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new AgentSpecException($"--out '{path}' is not a valid path: {e.Message}");
        }
        if (Directory.Exists(full)) throw new AgentSpecException($"--out '{path}' is a directory.");
        string? dir = Path.GetDirectoryName(full);
        if (dir is null || !Directory.Exists(dir)) throw new AgentSpecException($"--out '{path}': the directory '{dir}' does not exist.");
        string temp = full + $".{Environment.ProcessId}.tmp";
        try
        {
            using (File.Create(temp)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentSpecException($"--out '{path}' cannot be written: {e.Message}");
        }
        return temp;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
