using System.Diagnostics;
using System.Globalization;
using Rollouts.Agent;
using Rollouts.Agent.Evaluation;
using Rollouts.Config;
using Rollouts.Grains.Policy;
using Rollouts.Learner;
using Rollouts.Policy;

namespace Rollouts.Training;

/// <summary>Input that training cannot use (an unwritable output folder, a bad option); the message says what and where.</summary>
public sealed class TrainingException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What <see cref="TrainingRun"/> reports while it works (the CLI draws it).</summary>
public interface ITrainingObserver
{
    /// <summary>A phase starts: <c>teacher-eval</c>, <c>sft</c>, <c>sft-eval</c>, <c>ppo</c>, <c>ppo-eval</c>; <paramref name="total"/> units of work.</summary>
    void PhaseStarted(string phase, string description, double total);

    /// <summary>Progress inside the phase: units done and a one-line status (loss, score so far, planning rate).</summary>
    void Progress(string phase, double done, string status);

    /// <summary>The phase ended; <paramref name="summary"/> is one line for the log.</summary>
    void PhaseDone(string phase, string summary);
}

/// <summary>An observer that ignores everything.</summary>
public sealed class NullTrainingObserver : ITrainingObserver
{
    public static readonly NullTrainingObserver Instance = new();
    public void PhaseStarted(string phase, string description, double total) { }
    public void Progress(string phase, double done, string status) { }
    public void PhaseDone(string phase, string summary) { }
}

/// <summary>How to run <see cref="TrainingRun"/> besides the config.</summary>
public sealed record TrainingOptions
{
    /// <summary>The output folder (created if missing): sft.ckpt, ppo.ckpt, summary.json, metrics.csv, config.yaml.</summary>
    public required string OutDir { get; init; }
    /// <summary>The config file's path, for the summary.</summary>
    public string? ConfigPath { get; init; }
    /// <summary>libtorch intra-op threads for rollouts and evaluations (1 is fastest for small models on a busy 2-core machine).</summary>
    public int Threads { get; init; } = 1;
    /// <summary>Threads for the SFT steps and the PPO updates, with nothing else running, where more threads pay, unlike
    /// small-batch decoding beside env stepping. On the CPU each thread takes a shard of every SFT batch and PPO minibatch
    /// with a model copy of its own and one libtorch thread (GradientShards), else they are libtorch's intra-op threads.</summary>
    public int SftThreads { get; init; } = 1;
    /// <summary>Episodes evaluated at once (one batched model call per step for all of them).</summary>
    public int EvalConcurrency { get; init; } = 32;
    /// <summary>Start PPO from this SFT checkpoint (an earlier run's sft.ckpt) instead of running SFT.</summary>
    public string? SftCheckpoint { get; init; }
    /// <summary>Skip the PPO phase's wall-clock guard (tests).</summary>
    public bool IgnoreTimeGuard { get; init; }
}

/// <summary>The numbers of one evaluated agent.</summary>
public sealed record AgentEvaluation(string Agent, EvaluationSummary Summary, double Seconds);

/// <summary>One PPO iteration's row of metrics.csv.</summary>
public sealed record PpoIterationMetrics(
    int Iteration, long EnvSteps, double WallSeconds, int Episodes, double MeanReturn, double MeanLength,
    double CrafterScoreSoFar, double PlanningRate, double PlanTokensPerStep, double Loss, double PgLoss, double VLoss,
    double Entropy, double ApproxKl, double ClipFrac, double ExplainedVariance, long Samples, double StepsPerSecond);

/// <summary>Everything a training run produced.</summary>
public sealed record TrainingResult(
    AgentEvaluation Teacher, AgentEvaluation Sft, AgentEvaluation Ppo,
    double SftLoss, long SftSamples, double SftRecords, double SftSeconds,
    IReadOnlyList<PpoIterationMetrics> Iterations, long PpoEnvSteps, double PpoSeconds, double WallSeconds,
    string SftCheckpoint, string PpoCheckpoint, string SummaryPath, string MetricsPath, int UpdateShards = 1,
    long SftShardedSteps = 0, long PpoShardedMinibatches = 0);

/// <summary>
/// <c>rollouts train</c> in one process, on the same learner algorithm and acting policy as the distributed run
/// (<see cref="TorchLearnerAlgorithm"/>, <see cref="TorchDecisionPolicy"/>): evaluate the scripted teacher; SFT warm-up on
/// teacher episodes (schedules mixed per episode), <c>sft.ckpt</c>; evaluate the SFT student; PPO on local vectorized
/// rollouts (<see cref="LocalRollouts"/>: batched decisions, trajectory chunks, planning cost in the reward) with
/// <see cref="TorchLearnerAlgorithm.Update"/>, <c>ppo.ckpt</c>; evaluate the PPO policy on the same seeds; write
/// <c>summary.json</c> and <c>metrics.csv</c>. Every file is written to a temporary file and renamed.
/// </summary>
public static class TrainingRun
{
    public static TrainingResult Run(RolloutsConfig config, TrainingOptions options, ITrainingObserver? observer = null,
        CancellationToken cancellation = default)
    {
        observer ??= NullTrainingObserver.Instance;
        var watch = Stopwatch.StartNew();
        string outDir = PrepareOutDir(options.OutDir);
        if (options.Threads <= 0) throw new TrainingException($"--threads must be positive, got {options.Threads}.");
        if (options.SftThreads <= 0) throw new TrainingException($"--sft-threads must be positive, got {options.SftThreads}.");
        if (config.Model.Context < LoadedPolicy.MinPromptTokens + PolicySetup.Grammar(config).MaxOutputTokens)
            throw new TrainingException($"model.context {config.Model.Context} cannot hold a prompt (at least {LoadedPolicy.MinPromptTokens} tokens) and an output (up to {PolicySetup.Grammar(config).MaxOutputTokens} tokens); raise model.context or lower model.max_output_tokens.");
        TorchRuntime.EnsureLoaded();
        // Before the teacher's evaluation: a wrong file should fail in a second, not after minutes.
        if (options.SftCheckpoint is string sftFrom) CheckSftCheckpoint(config, sftFrom, options.ConfigPath);
        var eval = config.Eval;
        string sftPath = Path.Combine(outDir, "sft.ckpt"), ppoPath = Path.Combine(outDir, "ppo.ckpt");
        WriteAtomically(Path.Combine(outDir, "config.yaml"), ConfigLoader.ToYaml(config));

        // (e) first: the teacher on the evaluation seeds (it is fast and sets the bar).
        var teacher = EvaluateTeacher(config, observer, cancellation);

        // On the CPU the SFT threads each take a shard of every SFT batch and PPO minibatch with a model copy of their own
        // (GradientShards): a model this small leaves a second libtorch thread on the whole batch mostly idle.
        using var learner = new TorchLearnerAlgorithm(config, updateShards: options.SftThreads);
        TorchRuntime.SetCpuThreads(options.SftThreads);

        // (a) SFT warm-up, or the student of an earlier run.
        var sftWatch = Stopwatch.StartNew();
        var (sftOutcome, sftStopped, sftStep) = options.SftCheckpoint is string from
            ? LoadSft(from, learner, observer)
            : RunSft(config, options, learner, observer, watch, sftWatch, cancellation);
        double sftSeconds = sftWatch.Elapsed.TotalSeconds;
        var sftWeights = learner.ExportWeights();
        SaveCheckpoint(config, sftWeights, sftPath, step: sftStep, kind: "sft");
        double records = sftOutcome.Extra?.GetValueOrDefault("sft_records") ?? 0;
        observer.PhaseDone("sft", string.Create(CultureInfo.InvariantCulture,
            $"SFT: loss {sftOutcome.Loss:F3} after {sftOutcome.Samples} samples from {records:F0} teacher steps in {sftSeconds:F0}s{sftStopped}; wrote {sftPath}"));

        // (b) the SFT student on the evaluation seeds.
        var sft = EvaluatePolicy("sft", sftPath, config, options, observer, cancellation);

        // (c) PPO on local rollouts.
        var iterations = new List<PpoIterationMetrics>();
        string metricsPath = Path.Combine(outDir, "metrics.csv");
        var ppoWatch = Stopwatch.StartNew();
        long ppoSteps;
        using (var policy = new TorchDecisionPolicy(config))
        {
            TorchRuntime.SetCpuThreads(options.Threads);
            int version = 0;
            policy.LoadWeights(sftWeights, version);
            var rollouts = new LocalRollouts(config, policy);
            int chunkSteps = config.Rollout.ChunkLength;
            int chunksPerUpdate = Math.Max(1, (int)Math.Ceiling(config.Ppo.StepsPerUpdate / (double)(rollouts.Envs * chunkSteps)));
            long stepsPerIteration = (long)chunksPerUpdate * chunkSteps * rollouts.Envs;
            int total = (int)Math.Max(1, config.Experiment.TotalEnvSteps / stepsPerIteration);
            // Leave time for the last evaluation (about what the SFT evaluation took) within experiment.max_minutes.
            double deadline = config.Experiment.MaxMinutes * 60 - 1.25 * sft.Seconds - 10;
            observer.PhaseStarted("ppo", $"PPO: {total} iterations of {stepsPerIteration} env steps ({rollouts.Envs} envs × {chunkSteps} steps × {chunksPerUpdate} chunks)", total);
            var allEpisodes = new List<EpisodeResult>();
            for (int it = 1; it <= total; it++)
            {
                cancellation.ThrowIfCancellationRequested();
                if (!options.IgnoreTimeGuard && it > 1 && watch.Elapsed.TotalSeconds > deadline)
                {
                    observer.Progress("ppo", it - 1, $"stopping after {it - 1} iterations: experiment.max_minutes ({config.Experiment.MaxMinutes}) leaves no time for more");
                    break;
                }
                var iterWatch = Stopwatch.StartNew();
                var finished = new List<EpisodeResult>();
                var batch = new List<WeightedChunk>(chunksPerUpdate);
                long planSteps = 0, planTokens = 0, steps = 0;
                for (int c = 0; c < chunksPerUpdate; c++)
                {
                    var chunk = rollouts.Collect(chunkSteps, version, finished, cancellation);
                    batch.Add(new WeightedChunk(chunk, 1f, 0));
                    steps += chunk.PlanTokens.Length;
                    foreach (int p in chunk.PlanTokens)
                        if (p > 0) { planSteps++; planTokens += p; }
                }
                double rolloutSeconds = iterWatch.Elapsed.TotalSeconds;
                // The update is large batched matmuls like an SFT step: it gets the SFT thread count; decoding beside env
                // stepping goes back to the rollout one.
                TorchRuntime.SetCpuThreads(options.SftThreads);
                var outcome = learner.Update(batch, cancellation);
                TorchRuntime.SetCpuThreads(options.Threads);
                policy.LoadWeights(learner.ExportWeights(), ++version);
                rollouts.InvalidatePending();
                allEpisodes.AddRange(finished);
                double score = allEpisodes.Count > 0 ? EvaluationSummary.FromEpisodes(allEpisodes).CrafterScore : 0;
                var extra = outcome.Extra ?? new Dictionary<string, double>();
                var row = new PpoIterationMetrics(it, rollouts.EnvSteps, watch.Elapsed.TotalSeconds, finished.Count,
                    finished.Count > 0 ? finished.Average(e => e.Return) : double.NaN,
                    finished.Count > 0 ? finished.Average(e => (double)e.Length) : double.NaN,
                    score, planSteps / (double)Math.Max(1, steps), planTokens / (double)Math.Max(1, steps), outcome.Loss,
                    extra.GetValueOrDefault("pg_loss", double.NaN), extra.GetValueOrDefault("v_loss", double.NaN),
                    extra.GetValueOrDefault("entropy", double.NaN), extra.GetValueOrDefault("approx_kl", double.NaN),
                    extra.GetValueOrDefault("clip_frac", double.NaN), extra.GetValueOrDefault("explained_variance", double.NaN),
                    outcome.Samples, steps / Math.Max(1e-9, rolloutSeconds));
                iterations.Add(row);
                WriteAtomically(metricsPath, MetricsCsv(iterations));
                observer.Progress("ppo", it, string.Create(CultureInfo.InvariantCulture,
                    $"iter {it}/{total}{(extra.ContainsKey("value_warmup") ? " (value warm-up: the policy waits)" : "")} steps {rollouts.EnvSteps} loss {outcome.Loss:F3} kl {row.ApproxKl:F4} ev {row.ExplainedVariance:F2} episodes {allEpisodes.Count} score so far {score:F1} return {row.MeanReturn:F2} planning {row.PlanningRate:P0} ({row.StepsPerSecond:F0} steps/s)"));
            }
            ppoSteps = rollouts.EnvSteps;
            SaveCheckpoint(config, learner.ExportFinalWeights(), ppoPath, step: iterations.Count, kind: "ppo");
        }
        double ppoSeconds = ppoWatch.Elapsed.TotalSeconds;
        if (iterations.Count == 0) WriteAtomically(metricsPath, MetricsCsv(iterations));
        observer.PhaseDone("ppo", string.Create(CultureInfo.InvariantCulture,
            $"PPO: {iterations.Count} iterations, {ppoSteps} env steps in {ppoSeconds:F0}s; wrote {ppoPath}"));

        // (d) the PPO policy on the same seeds.
        var ppo = EvaluatePolicy("ppo", ppoPath, config, options, observer, cancellation);

        string summaryPath = Path.Combine(outDir, "summary.json");
        var result = new TrainingResult(teacher, sft, ppo, sftOutcome.Loss, sftOutcome.Samples, records, sftSeconds,
            iterations, ppoSteps, ppoSeconds, watch.Elapsed.TotalSeconds, sftPath, ppoPath, summaryPath, metricsPath, learner.UpdateShards,
            learner.ShardedSteps.Sft, learner.ShardedSteps.Ppo);
        WriteAtomically(summaryPath, TrainingReport.SummaryJson(result, config, options));
        return result;
    }

    /// <summary>
    /// Throws <see cref="CheckpointException"/> unless <paramref name="path"/> is a readable SFT checkpoint of the model
    /// shape <paramref name="config"/> asks for (what <c>--sft-checkpoint</c> takes).
    /// </summary>
    public static void CheckSftCheckpoint(RolloutsConfig config, string path, string? configPath)
    {
        TorchRuntime.EnsureLoaded();
        var info = PolicyCheckpoint.ReadInfo(path);
        if (info.Kind != "sft")
            throw new CheckpointException(path, $"it holds a '{info.Kind}' checkpoint; --sft-checkpoint takes an SFT student (a run's sft.ckpt).");
        var shape = PolicySetup.ModelConfig(config).Validate();
        if (info.Config != shape)
            throw new CheckpointException(path, $"it holds a model of shape {PolicyCheckpoint.Describe(info.Config)}, but {configPath ?? "the config"} asks for {PolicyCheckpoint.Describe(shape)}.");
    }

    private static (UpdateOutcome Outcome, string Stopped, long Step) LoadSft(string path, TorchLearnerAlgorithm learner, ITrainingObserver observer)
    {
        observer.PhaseStarted("sft", $"SFT: the student of {path} (--sft-checkpoint), no SFT steps", 1);
        var info = learner.LoadSftCheckpoint(path);
        observer.Progress("sft", 1, "");
        return (new UpdateOutcome(double.NaN, "sft", 0), string.Create(CultureInfo.InvariantCulture, $"; loaded from {path} (step {info.Step})"), info.Step);
    }

    private static (UpdateOutcome Outcome, string Stopped, long Step) RunSft(RolloutsConfig config, TrainingOptions options, TorchLearnerAlgorithm learner,
        ITrainingObserver observer, Stopwatch watch, Stopwatch sftWatch, CancellationToken cancellation)
    {
        observer.PhaseStarted("sft", $"SFT on {config.Sft.Episodes} teacher episodes ({config.Sft.Schedule} planning schedule), up to {config.Sft.Steps} steps{(config.Sft.DaggerRounds > 0 ? $", then {config.Sft.DaggerRounds} DAgger rounds of {config.Sft.DaggerSteps}" : "")}{(config.Sft.ExtraSteps > 0 ? $", then {config.Sft.ExtraSteps} more" : "")}", config.Sft.Steps + config.Sft.DaggerRounds * config.Sft.DaggerSteps + config.Sft.ExtraSteps);
        long sftSteps = 0;
        var sftOutcome = learner.RunSft(p =>
        {
            sftSteps = p.Samples / Math.Max(1, config.Sft.BatchSize);
            observer.Progress("sft", sftSteps, string.Create(CultureInfo.InvariantCulture, $"step {sftSteps} loss {p.Loss:F3} ({p.Samples / Math.Max(1e-9, sftWatch.Elapsed.TotalSeconds):F0} samples/s)"));
        }, cancellation);
        if (config.Sft.DaggerRounds > 0 && sftOutcome.Samples > 0)
        {
            // rollouts train only: DAgger rounds on the states the student itself reaches.
            var data = new List<(int[] Prompt, int[] Output)>(learner.SftData);
            long samplesSoFar = sftOutcome.Samples;
            using var student = new TorchDecisionPolicy(config);
            for (int round = 1; round <= config.Sft.DaggerRounds; round++)
            {
                student.LoadWeights(learner.ExportWeights(), round);
                TorchRuntime.SetCpuThreads(options.Threads);
                var labelled = DaggerCollector.Collect(config, student, config.Sft.DaggerEpisodes,
                    seed: config.Experiment.Seed * 1000 + 900 + round, cancellation);
                TorchRuntime.SetCpuThreads(options.SftThreads);
                data.AddRange(labelled);
                observer.Progress("sft", sftSteps, string.Create(CultureInfo.InvariantCulture,
                    $"DAgger round {round}: the student played {config.Sft.DaggerEpisodes} episodes, {labelled.Count} states labelled by the teacher ({data.Count} records in all)"));
                long before = samplesSoFar;
                var outcome = learner.ContinueSft(data, config.Sft.DaggerSteps, seed: (int)((config.Experiment.Seed * 31 + 7 * round) & 0x7fffffff), p =>
                {
                    sftSteps = (before + p.Samples) / Math.Max(1, config.Sft.BatchSize);
                    observer.Progress("sft", sftSteps, string.Create(CultureInfo.InvariantCulture, $"step {sftSteps} loss {p.Loss:F3} (DAgger round {round})"));
                }, cancellation);
                samplesSoFar += outcome.Samples;
                sftOutcome = new UpdateOutcome(outcome.Loss, "sft", samplesSoFar, outcome.Extra);
            }
            learner.ReplaceSftData(data);
        }
        string sftStopped = "";
        if (config.Sft.ExtraSteps > 0)
        {
            // rollouts train only: more steps on the same teacher data (rollouts run keeps to the warm-up), within
            // sft.time_share of experiment.max_minutes so that PPO keeps its time on a slower machine.
            long warmupSamples = sftOutcome.Samples;
            double sftDeadline = config.Experiment.MaxMinutes * 60 * config.Sft.TimeShare;
            bool outOfTime = false;
            // sft.decay_share: progress is the share of the extra steps done or of the time left to the deadline used,
            // whichever is larger, so that the rate has fallen by the time either ends the steps.
            double extraStart = watch.Elapsed.TotalSeconds;
            int extraSteps = config.Sft.ExtraSteps;
            Func<int, double>? schedule = config.Sft.DecayShare <= 0 ? null : step =>
            {
                double byTime = options.IgnoreTimeGuard ? 0 : (watch.Elapsed.TotalSeconds - extraStart) / Math.Max(1e-9, sftDeadline - extraStart);
                return LearningRateSchedule.DecayingTail(Math.Max((double)step / extraSteps, byTime), config.Sft.DecayShare);
            };
            var extra = learner.ContinueSft(learner.SftData, config.Sft.ExtraSteps, seed: (int)((config.Experiment.Seed * 31 + 1) & 0x7fffffff), p =>
            {
                sftSteps = (warmupSamples + p.Samples) / Math.Max(1, config.Sft.BatchSize);
                observer.Progress("sft", sftSteps, string.Create(CultureInfo.InvariantCulture, $"step {sftSteps} loss {p.Loss:F3} ({(warmupSamples + p.Samples) / Math.Max(1e-9, sftWatch.Elapsed.TotalSeconds):F0} samples/s)"));
            }, cancellation, stop: () => outOfTime = !options.IgnoreTimeGuard && watch.Elapsed.TotalSeconds > sftDeadline, learningRateScale: schedule);
            sftOutcome = new UpdateOutcome(extra.Loss, "sft", warmupSamples + extra.Samples, sftOutcome.Extra);
            if (outOfTime)
                sftStopped = string.Create(CultureInfo.InvariantCulture,
                    $"; stopped after {sftOutcome.Samples / Math.Max(1, config.Sft.BatchSize)} steps: sft.time_share ({config.Sft.TimeShare:0.##}) of experiment.max_minutes ({config.Experiment.MaxMinutes}) used");
        }
        return (sftOutcome, sftStopped, sftOutcome.Samples / Math.Max(1, config.Sft.BatchSize));
    }

    private static AgentEvaluation EvaluateTeacher(RolloutsConfig config, ITrainingObserver observer, CancellationToken cancellation)
    {
        var eval = config.Eval;
        observer.PhaseStarted("teacher-eval", $"teacher ({config.Sft.TeacherVision} vision) on {eval.Episodes} episodes (seed {eval.Seed}, length {eval.Length}, {config.Sft.Schedule} schedule)", eval.Episodes);
        var watch = Stopwatch.StartNew();
        // The teacher that wrote the SFT data (sft.teacher_vision): the one the student is measured against.
        var create = AgentFactory.Resolve("teacher:" + config.Sft.TeacherVision, schedule: config.Sft.Schedule);
        int done = 0;
        var results = EpisodeRunner.PlayMany(i => create(EpisodeRunner.EpisodeSeed(eval.Seed, i)), eval.Seed, eval.Episodes, eval.Length,
            onEpisodeDone: _ => observer.Progress("teacher-eval", Interlocked.Increment(ref done), ""), cancellation: cancellation);
        var summary = EvaluationSummary.FromEpisodes(results);
        observer.PhaseDone("teacher-eval", Describe("teacher", summary, watch.Elapsed.TotalSeconds));
        return new AgentEvaluation("teacher", summary, watch.Elapsed.TotalSeconds);
    }

    private static AgentEvaluation EvaluatePolicy(string name, string checkpoint, RolloutsConfig config, TrainingOptions options,
        ITrainingObserver observer, CancellationToken cancellation)
    {
        var eval = config.Eval;
        string phase = name + "-eval";
        observer.PhaseStarted(phase, $"{name} policy on {eval.Episodes} episodes (seed {eval.Seed}, length {eval.Length}, {(eval.Temperature == 0 ? "greedy" : $"temperature {eval.Temperature}")})", eval.Episodes);
        var watch = Stopwatch.StartNew();
        using var policy = LoadedPolicy.Load(checkpoint, eval.Temperature); // sampled per decision (env seed, step): no generator seed
        TorchRuntime.SetCpuThreads(options.Threads);
        var finished = new List<EpisodeResult>();
        var results = BatchedEvaluator.Play(policy, eval.Seed, eval.Episodes, eval.Length, options.EvalConcurrency, r =>
        {
            finished.Add(r);
            var s = EvaluationSummary.FromEpisodes(finished);
            observer.Progress(phase, finished.Count, string.Create(CultureInfo.InvariantCulture,
                $"{finished.Count}/{eval.Episodes} episodes, score so far {s.CrafterScore:F1}, return {s.MeanReturn:F2}, planning {s.PlanningRate:P0}, {policy.Decisions / Math.Max(1e-9, watch.Elapsed.TotalSeconds):F0} decisions/s"));
        }, cancellation);
        var summary = EvaluationSummary.FromEpisodes(results);
        observer.PhaseDone(phase, Describe(name, summary, watch.Elapsed.TotalSeconds));
        return new AgentEvaluation(name, summary, watch.Elapsed.TotalSeconds);
    }

    private static string Describe(string name, EvaluationSummary s, double seconds) => string.Create(CultureInfo.InvariantCulture,
        $"{name}: crafter score {s.CrafterScore:F2}, progression {s.Progression:F3}, return {s.MeanReturn:F2}, length {s.MeanLength:F0}, planning rate {s.PlanningRate:F3}, plan tokens/step {s.PlanTokensPerStep:F2} ({seconds:F0}s)");

    /// <summary>Saves the learner's exported weights as a checkpoint that also says how to decode it (plan length, eval temperature).</summary>
    private static void SaveCheckpoint(RolloutsConfig config, byte[] weights, string path, long step, string kind)
    {
        using var model = new PolicyModel(PolicySetup.ModelConfig(config).Validate(), TorchSharp.torch.CPU);
        PolicySetup.Import(model, weights);
        var metadata = new Dictionary<string, string>
        {
            [LoadedPolicy.MaxPlanTokensKey] = PolicySetup.Grammar(config).MaxPlanTokens.ToString(CultureInfo.InvariantCulture),
            [LoadedPolicy.TemperatureKey] = config.Eval.Temperature.ToString("R", CultureInfo.InvariantCulture),
            ["experiment"] = config.Experiment.Name,
            ["acting_temperature"] = config.Model.Temperature.ToString("R", CultureInfo.InvariantCulture),
        };
        PolicyCheckpoint.Save(path, model, step, kind, metadata: metadata);
    }

    /// <summary>Creates the folder if needed and checks that files can be written in it (nothing is overwritten here).</summary>
    public static string PrepareOutDir(string outDir)
    {
        if (string.IsNullOrWhiteSpace(outDir)) throw new TrainingException("--out is empty.");
        string full;
        try { full = Path.GetFullPath(outDir); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new TrainingException($"--out '{outDir}' is not a valid path: {e.Message}", e);
        }
        if (File.Exists(full)) throw new TrainingException($"--out '{outDir}' is a file; expected a folder.");
        try { Directory.CreateDirectory(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrainingException($"--out '{outDir}': the folder cannot be created: {e.Message}", e);
        }
        string probe = Path.Combine(full, $".write-test.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrainingException($"--out '{outDir}': files cannot be written there: {e.Message}", e);
        }
        return full;
    }

    /// <summary>Writes a temporary file beside <paramref name="path"/> and renames it over it.</summary>
    public static void WriteAtomically(string path, string text)
    {
        string temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static string MetricsCsv(IReadOnlyList<PpoIterationMetrics> rows)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("iteration,env_steps,wall_seconds,episodes,mean_return,mean_length,crafter_score_so_far,planning_rate,plan_tokens_per_step,loss,pg_loss,v_loss,entropy,approx_kl,clip_frac,explained_variance,samples,steps_per_second\n");
        foreach (var r in rows)
        {
            sb.Append(string.Join(',', new[]
            {
                F(r.Iteration), F(r.EnvSteps), F(r.WallSeconds), F(r.Episodes), F(r.MeanReturn), F(r.MeanLength), F(r.CrafterScoreSoFar),
                F(r.PlanningRate), F(r.PlanTokensPerStep), F(r.Loss), F(r.PgLoss), F(r.VLoss), F(r.Entropy), F(r.ApproxKl), F(r.ClipFrac),
                F(r.ExplainedVariance), F(r.Samples), F(r.StepsPerSecond),
            })).Append('\n');
        }
        return sb.ToString();
    }

    private static string F(double v) => double.IsNaN(v) ? "" : Math.Round(v, 6).ToString("R", CultureInfo.InvariantCulture);
}
