using System.Text;
using System.Text.Json;
using Rollouts.Agent.Evaluation;
using Rollouts.Config;
using Rollouts.Crafter;

namespace Rollouts.Training;

/// <summary>summary.json of a training run: teacher vs SFT vs PPO on the same evaluation seeds, plus the phases' numbers.</summary>
public static class TrainingReport
{
    /// <summary>The metrics of the comparison table, in order: key, header.</summary>
    public static readonly IReadOnlyList<(string Key, string Header)> Columns =
    [
        ("crafter_score", "crafter score"), ("progression", "progression"), ("mean_return", "return"),
        ("mean_length", "length"), ("planning_rate", "planning rate"), ("plan_tokens_per_step", "plan tokens/step"),
    ];

    public static double Value(EvaluationSummary s, string key) => key switch
    {
        "crafter_score" => s.CrafterScore,
        "progression" => s.Progression,
        "mean_return" => s.MeanReturn,
        "mean_length" => s.MeanLength,
        "planning_rate" => s.PlanningRate,
        "plan_tokens_per_step" => s.PlanTokensPerStep,
        _ => throw new ArgumentException($"unknown metric '{key}'", nameof(key)),
    };

    /// <summary>
    /// Keys: <c>config, out_dir, wall_seconds, threads, sft_threads, update_shards, sft_checkpoint (with --sft-checkpoint), eval {episodes, length, seed, temperature, teacher_schedule},
    /// teacher/sft/ppo {crafter_score, progression, mean_return, mean_length, planning_rate, plan_tokens_per_step,
    /// success_rates, episodes, eval_seconds, checkpoint}, sft_training {...}, ppo_training {...}, targets {...}</c>.
    /// </summary>
    public static string SummaryJson(TrainingResult r, RolloutsConfig config, TrainingOptions options)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("config", options.ConfigPath);
            w.WriteString("experiment", config.Experiment.Name);
            w.WriteString("out_dir", Path.GetFullPath(options.OutDir));
            w.WriteNumber("wall_seconds", Math.Round(r.WallSeconds, 1));
            w.WriteNumber("threads", options.Threads);
            w.WriteNumber("sft_threads", options.SftThreads);
            w.WriteNumber("update_shards", r.UpdateShards);
            if (options.SftCheckpoint is string from) w.WriteString("sft_checkpoint", Path.GetFullPath(from));
            w.WriteStartObject("model");
            w.WriteNumber("d_model", config.Model.DModel);
            w.WriteNumber("layers", config.Model.Layers);
            w.WriteNumber("heads", config.Model.Heads);
            w.WriteNumber("context", config.Model.Context);
            w.WriteEndObject();
            w.WriteStartObject("eval");
            w.WriteNumber("episodes", config.Eval.Episodes);
            w.WriteNumber("length", config.Eval.Length);
            w.WriteNumber("seed", config.Eval.Seed);
            w.WriteNumber("temperature", config.Eval.Temperature);
            w.WriteString("teacher_schedule", "mixed");
            w.WriteEndObject();
            Agent(w, "teacher", r.Teacher, null);
            Agent(w, "sft", r.Sft, r.SftCheckpoint);
            Agent(w, "ppo", r.Ppo, r.PpoCheckpoint);
            w.WriteStartObject("sft_training");
            if (double.IsFinite(r.SftLoss)) w.WriteNumber("final_loss", Round(r.SftLoss));
            else w.WriteNull("final_loss"); // no SFT steps (--sft-checkpoint)
            w.WriteNumber("samples", r.SftSamples);
            w.WriteNumber("teacher_steps", r.SftRecords);
            w.WriteNumber("seconds", Math.Round(r.SftSeconds, 1));
            w.WriteNumber("sharded_steps", r.SftShardedSteps); // the rest ran whole (ShardingChoice)
            w.WriteEndObject();
            w.WriteStartObject("ppo_training");
            w.WriteNumber("iterations", r.Iterations.Count);
            w.WriteNumber("env_steps", r.PpoEnvSteps);
            w.WriteNumber("seconds", Math.Round(r.PpoSeconds, 1));
            w.WriteNumber("sharded_minibatches", r.PpoShardedMinibatches);
            if (r.Iterations.Count > 0)
            {
                var last = r.Iterations[^1];
                w.WriteNumber("final_loss", Round(last.Loss));
                w.WriteNumber("final_approx_kl", Round(last.ApproxKl));
                w.WriteNumber("final_explained_variance", Round(last.ExplainedVariance));
                w.WriteNumber("rollout_crafter_score", Round(last.CrafterScoreSoFar));
            }
            w.WriteEndObject();
            w.WriteStartObject("targets");
            w.WriteBoolean("sft_at_least_half_teacher", r.Sft.Summary.CrafterScore >= 0.5 * r.Teacher.Summary.CrafterScore);
            w.WriteBoolean("ppo_above_sft", r.Ppo.Summary.CrafterScore > r.Sft.Summary.CrafterScore);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void Agent(Utf8JsonWriter w, string name, AgentEvaluation e, string? checkpoint)
    {
        var s = e.Summary;
        w.WriteStartObject(name);
        foreach (var (key, _) in Columns) w.WriteNumber(key, Round(Value(s, key)));
        w.WriteStartObject("success_rates");
        foreach (string a in CrafterNames.Achievements) w.WriteNumber(a, Round(s.SuccessRates[a]));
        w.WriteEndObject();
        w.WriteNumber("episodes", s.Episodes);
        w.WriteNumber("eval_seconds", Math.Round(e.Seconds, 1));
        if (checkpoint is not null) w.WriteString("checkpoint", checkpoint);
        w.WriteEndObject();
    }

    private static double Round(double v) => double.IsFinite(v) ? Math.Round(v, 6) : 0;
}
