using Rollouts.Tests.Shared;
using System.Text.Json;
using Rollouts.Cli;
using Rollouts.Policy;

namespace Rollouts.Training.Tests;

public class TrainCommandTests
{
    public TrainCommandTests() => TestSupport.Init();

    /// <summary>A tiny experiment: 1-layer d16 model, a few SFT steps, one PPO iteration, 2 short eval episodes.</summary>
    public const string TinyYaml = """
        experiment:
          name: tiny
          seed: 3
          total_env_steps: 64
          max_minutes: 5
        env:
          length: 40
          envs_per_actor: 4
        model:
          d_model: 16
          layers: 1
          heads: 2
          context: 96
          max_output_tokens: 12
        sft:
          episodes: 2
          episode_steps: 40
          steps: 4
          batch_size: 8
        ppo:
          epochs: 1
          minibatch_size: 32
          steps_per_update: 64
        rollout:
          actors: 1
          chunk_length: 16
        eval:
          episodes: 2
          length: 20
          seed: 5
        """;

    /// <summary>`rollouts train` in process: exit code, stdout, stderr.</summary>
    internal static (int Code, string Out, string Err) Train(string configPath, string? outDir, int sftThreads = 1, string? sftCheckpoint = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = TrainCommand.Run(configPath, outDir, threads: 1, stdout, stderr, sftThreads: sftThreads, sftCheckpoint: sftCheckpoint);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Writes <paramref name="yaml"/> as a config in <paramref name="dir"/>; returns its path and an out folder not yet made.</summary>
    private static (string Config, string OutDir) WriteConfig(TempDir dir, string fileName, string yaml)
    {
        string config = Path.Combine(dir.Path, fileName);
        File.WriteAllText(config, yaml);
        return (config, Path.Combine(dir.Path, "run"));
    }

    [Fact]
    public void A_tiny_run_writes_summary_metrics_and_loadable_checkpoints()
    {
        using var dir = new TempDir();
        var (config, outDir) = WriteConfig(dir, "tiny.yaml", TinyYaml);
        var (code, stdout, stderr) = Train(config, outDir, sftThreads: 2);
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        Assert.Contains("teacher", stdout);
        Assert.Contains("crafter score", stdout);

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var root = summary.RootElement;
        foreach (string agent in new[] { "teacher", "sft", "ppo" })
        {
            var a = root.GetProperty(agent);
            foreach (string key in new[] { "crafter_score", "progression", "mean_return", "mean_length", "planning_rate", "plan_tokens_per_step", "success_rates", "episodes" })
                Assert.True(a.TryGetProperty(key, out _), $"{agent}.{key} missing");
            Assert.Equal(2, a.GetProperty("episodes").GetInt32());
            Assert.InRange(a.GetProperty("mean_length").GetDouble(), 1, 20);
        }
        Assert.Equal(1, root.GetProperty("ppo_training").GetProperty("iterations").GetInt32());
        Assert.True(root.GetProperty("targets").TryGetProperty("ppo_above_sft", out _));
        Assert.Equal(20, root.GetProperty("eval").GetProperty("length").GetInt32());
        Assert.Equal(1, root.GetProperty("threads").GetInt32());
        Assert.Equal(2, root.GetProperty("sft_threads").GetInt32());

        var csv = File.ReadAllLines(Path.Combine(outDir, "metrics.csv"));
        Assert.Equal(2, csv.Length);
        Assert.StartsWith("iteration,env_steps,", csv[0]);
        Assert.StartsWith("1,64,", csv[1]);

        foreach (string name in new[] { "sft.ckpt", "ppo.ckpt" })
        {
            string path = Path.Combine(outDir, name);
            var info = PolicyCheckpoint.ReadInfo(path);
            Assert.Equal(16, info.Config.DModel);
            Assert.Equal("8", info.Metadata[LoadedPolicy.MaxPlanTokensKey]);
            using var policy = LoadedPolicy.Load(path);
            Assert.Equal(12, policy.Grammar.MaxOutputTokens);
        }
        Assert.Equal("ppo", PolicyCheckpoint.ReadInfo(Path.Combine(outDir, "ppo.ckpt")).Kind);
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp").Concat(Directory.GetFiles(outDir, ".*")));
    }

    [Fact]
    public void Eval_with_a_checkpoint_agent_runs_as_a_real_command()
    {
        using var dir = new TempDir();
        string ckpt = TestSupport.TinyCheckpoint(dir.Path);
        string output = Path.Combine(dir.Path, "eval.json");
        var (code, stdout, stderr) = RolloutsProcess.Run("eval", "--agent", "checkpoint:" + ckpt, "--episodes", "2", "--seed", "3", "--length", "15", "--out", output);
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        Assert.Contains("crafter_score=", stdout);
        using var json = JsonDocument.Parse(File.ReadAllText(output));
        Assert.Equal(2, json.RootElement.GetProperty("episodes").GetInt32());
        Assert.StartsWith("checkpoint:", json.RootElement.GetProperty("agent").GetString());
    }

    [Fact]
    public void Eval_with_a_wrong_shape_checkpoint_fails_with_one_line()
    {
        using var dir = new TempDir();
        string ckpt = TestSupport.TinyCheckpoint(dir.Path, TestSupport.TinyConfig(vocab: 40));
        string output = Path.Combine(dir.Path, "eval.json");
        var (code, stdout, stderr) = RolloutsProcess.Run("eval", "--agent", "checkpoint:" + ckpt, "--episodes", "2", "--out", output);
        Assert.NotEqual(0, code);
        var lines = stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Contains("vocabulary of 40 tokens", lines[0]);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void A_bad_thread_count_is_refused_before_anything_is_written()
    {
        using var dir = new TempDir();
        var (config, outDir) = WriteConfig(dir, "tiny.yaml", TinyYaml);
        var (code, _, stderr) = Train(config, outDir, sftThreads: 0);
        Assert.Equal(2, code);
        Assert.Contains("--sft-threads must be positive, got 0", stderr);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void A_cuda_config_without_a_usable_gpu_is_refused_before_anything_is_written()
    {
        if (TorchRuntime.CudaAvailable) return; // a GPU machine runs it; the refusal is for machines without one
        using var dir = new TempDir();
        var (config, outDir) = WriteConfig(dir, "tiny-cuda.yaml", TinyYaml.Replace("  max_output_tokens: 12", "  max_output_tokens: 12\n  device: cuda"));
        var (code, stdout, stderr) = Train(config, outDir);
        Assert.Equal(2, code);
        Assert.Contains(config, stderr);
        Assert.Contains("model.device is cuda", stderr);
        Assert.DoesNotContain("teacher", stdout);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void A_malformed_config_names_the_file_and_the_field()
    {
        using var dir = new TempDir();
        var (config, outDir) = WriteConfig(dir, "bad.yaml", TinyYaml.Replace("chunk_length: 16", "chunk_lenght: 16"));
        var (code, _, stderr) = Train(config, outDir);
        Assert.Equal(2, code);
        Assert.Contains("bad.yaml", stderr);
        Assert.Contains("rollout.chunk_lenght", stderr);
        Assert.False(Directory.Exists(outDir));

        File.WriteAllText(config, TinyYaml.Replace("episodes: 2\n  length: 20", "episodes: 0\n  length: 20"));
        (code, _, stderr) = Train(config, outDir);
        Assert.Equal(2, code);
        Assert.Contains("eval.episodes", stderr);
    }

    [Fact]
    public void An_unwritable_out_is_refused_before_anything_runs_and_nothing_is_overwritten()
    {
        using var dir = new TempDir();
        var (config, _) = WriteConfig(dir, "tiny.yaml", TinyYaml);
        string file = Path.Combine(dir.Path, "a-file");
        File.WriteAllText(file, "keep me");
        var (code, _, stderr) = Train(config, file);
        Assert.Equal(2, code);
        Assert.Contains("is a file", stderr);
        (code, _, stderr) = Train(config, Path.Combine(file, "run"));
        Assert.Equal(2, code);
        Assert.Contains("cannot be created", stderr);
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void Unknown_options_and_a_missing_config_exit_non_zero()
    {
        var (code, _, stderr) = RolloutsProcess.Run("train", "--config", "configs/none.yaml", "--bogus", "1");
        Assert.NotEqual(0, code);
        Assert.Contains("--bogus", stderr);
        using var dir = new TempDir();
        (code, _, stderr) = RolloutsProcess.Run("train", "--config", Path.Combine(dir.Path, "none.yaml"), "--out", Path.Combine(dir.Path, "run"));
        Assert.Equal(2, code);
        Assert.Contains("config file not found", stderr);
    }
}
