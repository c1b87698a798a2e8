using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rollouts.Config;
using Rollouts.Crafter;
using Rollouts.Grains;

namespace Rollouts.Cli;

/// <summary>One row of <c>metrics.csv</c>: the experiment's counters at a moment of the run.</summary>
internal sealed record MetricsRow(
    double Seconds, ExperimentPhase Phase, long EnvSteps, long Episodes, double EnvStepsPerSecond, double CrafterScore,
    double MeanReturn, double PlanningRate, double TokensPerStep, int PolicyVersion, double? LearnerLoss, string LossKind,
    long ChunksPublished, long ChunksIngested, long LearnerUpdates, double MeanPolicyLag);

/// <summary>Writes a run's outputs: summary.json, metrics.csv, PNG plots (ScottPlot) and report.md.</summary>
internal static class RunReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Write(string outDir, string configPath, RolloutsConfig config, ExperimentStatus status,
        IReadOnlyList<MetricsRow> rows, IReadOnlyList<InferenceStats> inference, double wallSeconds, double sftSeconds)
    {
        Directory.CreateDirectory(outDir);
        double ppoSeconds = status.PpoStartedUtc is { } ppo ? Math.Max(1e-9, wallSeconds - sftSeconds) : 0;
        double stepsPerSecond = ppoSeconds > 0 ? status.PpoEnvSteps / ppoSeconds : 0;

        var achievements = new JsonObject();
        for (int i = 0; i < status.AchievementRates.Length && i < CrafterNames.Achievements.Length; i++)
            achievements[CrafterNames.Achievements[i]] = Math.Round(status.AchievementRates[i], 3);
        long batches = inference.Sum(s => s.Batches);
        long prompts = inference.Sum(s => s.Prompts);
        long requests = inference.Sum(s => s.Requests);
        var summary = new JsonObject
        {
            ["experiment"] = status.ExperimentId,
            ["config"] = configPath,
            ["phase"] = status.Phase.ToString().ToLowerInvariant(),
            ["acting_policy"] = config.Rollout.Policy,
            ["env_steps"] = status.EnvSteps,
            ["ppo_env_steps"] = status.PpoEnvSteps,
            ["episodes"] = status.Episodes,
            ["chunks_published"] = status.ChunksPublished,
            ["chunks_ingested"] = status.ChunksIngested,
            ["chunks_dropped"] = status.ChunksDropped,
            ["policy_version"] = status.PolicyVersion,
            ["env_steps_per_s"] = Math.Round(stepsPerSecond, 2),
            ["crafter_score"] = Math.Round(status.CrafterScore, 4),
            ["planning_rate"] = Math.Round(status.PlanningRate, 4),
            ["tokens_per_step"] = Math.Round(status.TokensPerStep, 3),
            ["mean_return"] = Math.Round(status.MeanReturn, 4),
            ["mean_episode_length"] = Math.Round(status.MeanEpisodeLength, 2),
            ["learner_updates"] = status.LearnerUpdates,
            ["learner_loss"] = status.LearnerLoss is { } l && double.IsFinite(l) ? Math.Round(l, 5) : null,
            ["learner_loss_kind"] = status.LearnerLossKind,
            ["learner_samples_per_s"] = Math.Round(status.LearnerSamplesPerSecond, 1),
            ["mean_policy_lag"] = Math.Round(status.MeanPolicyLag, 3),
            ["actor_failures"] = status.ActorFailures,
            ["actors"] = config.Rollout.Actors,
            ["envs_per_actor"] = config.Env.EnvsPerActor,
            ["inference_batches"] = batches,
            ["inference_mean_batch_size"] = batches == 0 ? 0 : Math.Round((double)prompts / batches, 2),
            ["inference_mean_latency_ms"] = requests == 0 ? 0 : Math.Round(inference.Sum(s => s.MeanLatencyMs * s.Requests) / requests, 2),
            ["wall_seconds"] = Math.Round(wallSeconds, 1),
            ["sft_seconds"] = Math.Round(sftSeconds, 1),
            ["achievement_success_rates_percent"] = achievements,
            ["error"] = status.Error,
        };
        File.WriteAllText(Path.Combine(outDir, "summary.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

        var csv = new StringBuilder("seconds,phase,env_steps,episodes,env_steps_per_s,crafter_score,mean_return,planning_rate,tokens_per_step,policy_version,learner_loss,loss_kind,chunks_published,chunks_ingested,learner_updates,mean_policy_lag\n");
        foreach (var r in rows)
            csv.Append(string.Join(",",
                F(r.Seconds, 1), r.Phase.ToString().ToLowerInvariant(), r.EnvSteps, r.Episodes, F(r.EnvStepsPerSecond, 2), F(r.CrafterScore, 4),
                F(r.MeanReturn, 4), F(r.PlanningRate, 4), F(r.TokensPerStep, 3), r.PolicyVersion,
                r.LearnerLoss is { } loss && double.IsFinite(loss) ? F(loss, 5) : "", r.LossKind, r.ChunksPublished, r.ChunksIngested,
                r.LearnerUpdates, F(r.MeanPolicyLag, 3))).Append('\n');
        File.WriteAllText(Path.Combine(outDir, "metrics.csv"), csv.ToString());

        var plots = new (string File, string Title, string Y, Func<MetricsRow, double> Value)[]
        {
            ("score.png", "Crafter score so far", "score (%)", r => r.CrafterScore),
            ("return.png", "Mean episode return so far", "return", r => r.MeanReturn),
            ("planning_rate.png", "Planning rate (share of steps with a plan)", "planning rate", r => r.PlanningRate),
            ("tokens_per_step.png", "Generated tokens per step", "tokens / step", r => r.TokensPerStep),
            ("throughput.png", "Environment steps per second", "env steps / s", r => r.EnvStepsPerSecond),
        };
        foreach (var (file, title, y, value) in plots)
        {
            var plot = new ScottPlot.Plot();
            double[] xs = rows.Select(r => r.Seconds).ToArray();
            double[] ys = rows.Select(value).ToArray();
            if (xs.Length > 0) plot.Add.Scatter(xs, ys);
            plot.Title(title);
            plot.XLabel("seconds since start");
            plot.YLabel(y);
            plot.SavePng(Path.Combine(outDir, file), 800, 450);
        }

        var md = new StringBuilder();
        md.Append($"# Run report: {status.ExperimentId}\n\n");
        md.Append($"Config `{configPath}`; {config.Rollout.Actors} actors x {config.Env.EnvsPerActor} envs, chunks of {config.Rollout.ChunkLength} steps, ");
        md.Append($"acting policy `{config.Rollout.Policy}`, model d{config.Model.DModel} x {config.Model.Layers} layers; ");
        md.Append($"phase at the end: **{status.Phase.ToString().ToLowerInvariant()}**{(status.Error is null ? "" : $" ({status.Error})")}.\n\n");
        md.Append("| metric | value |\n|---|---|\n");
        void Row(string k, string v) => md.Append($"| {k} | {v} |\n");
        Row("env steps (all / PPO)", $"{status.EnvSteps} / {status.PpoEnvSteps}");
        Row("episodes", status.Episodes.ToString(Inv));
        Row("Crafter score (%)", F(status.CrafterScore, 2));
        Row("mean return / length", $"{F(status.MeanReturn, 2)} / {F(status.MeanEpisodeLength, 1)}");
        Row("planning rate", F(status.PlanningRate, 3));
        Row("tokens per step", F(status.TokensPerStep, 2));
        Row("env steps / s (PPO phase)", F(stepsPerSecond, 1));
        Row("chunks published / ingested / dropped", $"{status.ChunksPublished} / {status.ChunksIngested} / {status.ChunksDropped}");
        Row("policy version / learner updates", $"{status.PolicyVersion} / {status.LearnerUpdates}");
        Row("learner loss", status.LearnerLoss is { } ll ? $"{F(ll, 4)} ({status.LearnerLossKind})" : "-");
        Row("mean policy lag (versions)", F(status.MeanPolicyLag, 2));
        Row("inference mean batch size / latency", $"{(batches == 0 ? "-" : F((double)prompts / batches, 1))} / {(requests == 0 ? "-" : F(inference.Sum(s => s.MeanLatencyMs * s.Requests) / requests, 1))} ms");
        Row("actor failures", status.ActorFailures.ToString(Inv));
        Row("wall time (SFT)", $"{F(wallSeconds, 0)} s ({F(sftSeconds, 0)} s)");
        md.Append("\n## Achievements (success rate, %)\n\n| achievement | rate |\n|---|---|\n");
        for (int i = 0; i < status.AchievementRates.Length && i < CrafterNames.Achievements.Length; i++)
            md.Append($"| {CrafterNames.Achievements[i]} | {F(status.AchievementRates[i], 1)} |\n");
        md.Append("\n## Over time\n\n");
        foreach (var (file, title, _, _) in plots) md.Append($"![{title}]({file})\n\n");
        md.Append("Counters are cumulative since the start (score, return, planning rate over all finished episodes/steps so far); ");
        md.Append("throughput is PPO-phase env steps over PPO-phase wall time. Raw values: `metrics.csv`, `summary.json`.\n");
        File.WriteAllText(Path.Combine(outDir, "report.md"), md.ToString());
    }

    private static string F(double v, int digits) => v.ToString("F" + digits, Inv);
}
