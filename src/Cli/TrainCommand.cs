using System.CommandLine;
using System.Globalization;
using Rollouts.Config;
using Rollouts.Policy;
using Rollouts.Training;
using Spectre.Console;

namespace Rollouts.Cli;

/// <summary>
/// <c>rollouts train --config configs/quick.yaml [--out runs/train-NAME] [--threads 1] [--sft-threads 2] [--sft-checkpoint PATH]</c>: single-process training
/// (<see cref="TrainingRun"/>): teacher evaluation, SFT warm-up (sft.ckpt), SFT evaluation, PPO on local rollouts
/// (ppo.ckpt), PPO evaluation on the same seeds; a table teacher vs SFT vs PPO, summary.json and metrics.csv.
/// Bad input (config, options, output folder, checkpoints) is one line on stderr and exit code 2; a failed run exits 1.
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Experiment config (YAML), e.g. configs/quick.yaml.", Required = true };
        var output = new Option<string?>("--out") { Description = "Output folder (default runs/train-EXPERIMENT)." };
        var threads = new Option<int>("--threads") { Description = "libtorch CPU threads for rollouts and evaluations (1 is fastest for small models beside env stepping).", DefaultValueFactory = _ => 1 };
        // SFT steps are large batched matmuls with nothing else running: both cores of a small machine pay there.
        var sftThreads = new Option<int>("--sft-threads") { Description = "CPU threads for the SFT steps and the PPO updates: on the whole batch, or each with a shard of it and a model copy of its own, whichever is faster in periodic trials (default: 2, or 1 on a one-core machine).", DefaultValueFactory = _ => Math.Min(2, Environment.ProcessorCount) };
        var sftCheckpoint = new Option<string?>("--sft-checkpoint") { Description = "Skip SFT: start PPO from this SFT student (an earlier run's sft.ckpt, same model shape)." };
        var command = new Command("train", "Train a policy in one process: SFT on the scripted teacher, then PPO; evaluate teacher, SFT and PPO on the same seeds.");
        command.Options.Add(config);
        command.Options.Add(output);
        command.Options.Add(threads);
        command.Options.Add(sftThreads);
        command.Options.Add(sftCheckpoint);
        command.SetAction((parse, ct) => Task.FromResult(Run(parse.GetValue(config)!, parse.GetValue(output), parse.GetValue(threads), Console.Out, Console.Error,
            interactive: !Console.IsOutputRedirected, ct, sftThreads: parse.GetValue(sftThreads), sftCheckpoint: parse.GetValue(sftCheckpoint))));
        return command;
    }

    public static int Run(string configPath, string? outDir, int threads, TextWriter stdout, TextWriter stderr, bool interactive = false,
        CancellationToken cancellation = default, int sftThreads = 1, string? sftCheckpoint = null)
    {
        RolloutsConfig config;
        string dir;
        try
        {
            config = ConfigLoader.Load(configPath);
            if (threads <= 0) throw new TrainingException($"--threads must be positive, got {threads}.");
            if (sftThreads <= 0) throw new TrainingException($"--sft-threads must be positive, got {sftThreads}.");
            Rollouts.Grains.Policy.PolicySetup.CheckDeviceAvailable(config, configPath);
            dir = outDir ?? Path.Combine("runs", "train-" + config.Experiment.Name);
            if (sftCheckpoint is not null) TrainingRun.CheckSftCheckpoint(config, sftCheckpoint, configPath);
            TrainingRun.PrepareOutDir(dir);
        }
        catch (Exception e) when (e is ConfigException or TrainingException or CheckpointException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }

        var console = CliConsole.Create(stdout, interactive);
        if (!interactive) console.Profile.Width = 200;
        console.MarkupLine($"[bold]rollouts train[/] {Markup.Escape(configPath)} → {Markup.Escape(dir)} " +
            Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"(model d{config.Model.DModel}×{config.Model.Layers}, context {config.Model.Context}; eval {config.Eval.Episodes} episodes × {config.Eval.Length} steps, seed {config.Eval.Seed}; threads {threads}, SFT {sftThreads})")));
        var options = new TrainingOptions { OutDir = dir, ConfigPath = configPath, Threads = threads, SftThreads = sftThreads, SftCheckpoint = sftCheckpoint };
        try
        {
            TrainingResult result;
            if (interactive)
            {
                TrainingResult? r = null;
                console.Progress()
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .Start(ctx => r = TrainingRun.Run(config, options, new ProgressObserver(console, ctx), cancellation));
                result = r!;
            }
            else
            {
                result = TrainingRun.Run(config, options, new LineObserver(console), cancellation);
            }
            console.Write(Table(result));
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wall {result.WallSeconds:F0}s (SFT {result.SftSeconds:F0}s, PPO {result.PpoSeconds:F0}s, {result.PpoEnvSteps} PPO env steps)"));
            console.WriteLine($"wrote {result.SummaryPath}, {result.MetricsPath}, {result.SftCheckpoint}, {result.PpoCheckpoint}");
            stdout.Flush();
            return 0;
        }
        catch (Exception e) when (e is TrainingException or CheckpointException or ConfigException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("error: training was cancelled; the files written so far are complete (each is written to a temporary file and renamed).");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            stderr.WriteLine($"error: training failed: {e.Message}");
            return 1;
        }
    }

    private static Table Table(TrainingResult r)
    {
        var table = new Table().AddColumn("agent");
        foreach (var (_, header) in TrainingReport.Columns) table.AddColumn(new TableColumn(header).RightAligned());
        foreach (var e in new[] { r.Teacher, r.Sft, r.Ppo })
        {
            var cells = new List<string> { e.Agent };
            foreach (var (key, _) in TrainingReport.Columns)
            {
                double v = TrainingReport.Value(e.Summary, key);
                cells.Add(v.ToString(key is "mean_length" ? "F0" : key is "crafter_score" or "mean_return" or "plan_tokens_per_step" ? "F2" : "F3", CultureInfo.InvariantCulture));
            }
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        return table;
    }

    /// <summary>Live progress bars, one per phase, with the phase's status line as the description.</summary>
    private sealed class ProgressObserver(IAnsiConsole console, ProgressContext ctx) : ITrainingObserver
    {
        private readonly Dictionary<string, ProgressTask> _tasks = new();
        private readonly Lock _gate = new();

        public void PhaseStarted(string phase, string description, double total)
        {
            lock (_gate)
            {
                console.MarkupLine($"[grey]{Markup.Escape(phase)}:[/] {Markup.Escape(description)}");
                _tasks[phase] = ctx.AddTask(Markup.Escape(phase), maxValue: Math.Max(1, total));
            }
        }

        public void Progress(string phase, double done, string status)
        {
            lock (_gate)
            {
                if (!_tasks.TryGetValue(phase, out var task)) return;
                task.Value = Math.Min(done, task.MaxValue);
                if (status.Length > 0) task.Description = Markup.Escape($"{phase}: {status}");
            }
        }

        public void PhaseDone(string phase, string summary)
        {
            lock (_gate)
            {
                if (_tasks.TryGetValue(phase, out var task))
                {
                    task.Value = task.MaxValue;
                    task.Description = Markup.Escape(phase);
                    task.StopTask();
                }
                console.MarkupLine($"[green]{Markup.Escape(summary)}[/]");
            }
        }
    }

    /// <summary>Plain lines for logs: every phase, at most one status line every few seconds, and each phase's result.</summary>
    private sealed class LineObserver(IAnsiConsole console) : ITrainingObserver
    {
        private readonly Lock _gate = new();
        private DateTime _last = DateTime.MinValue;

        public void PhaseStarted(string phase, string description, double total)
        {
            lock (_gate) console.WriteLine($"[{phase}] {description}");
        }

        public void Progress(string phase, double done, string status)
        {
            lock (_gate)
            {
                if (status.Length == 0 || (DateTime.UtcNow - _last).TotalSeconds < 5 && phase != "ppo") return;
                _last = DateTime.UtcNow;
                console.WriteLine($"[{phase}] {status}");
            }
        }

        public void PhaseDone(string phase, string summary)
        {
            lock (_gate) console.WriteLine($"[{phase}] {summary}");
        }
    }
}
