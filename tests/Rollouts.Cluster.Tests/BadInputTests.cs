namespace Rollouts.Cluster.Tests;

/// <summary>Bad input to the console: one clear message on stderr and a non-zero exit code.</summary>
public sealed class BadInputTests
{
    [Fact]
    public void An_unknown_role_is_rejected()
    {
        var (code, _, stderr) = Rollouts.Run("silo", "--role", "gpu-wizard");
        Assert.Equal(2, code);
        Assert.Contains("unknown role 'gpu-wizard'", stderr);
        Assert.Contains("rollout", stderr);
    }

    [Fact]
    public void An_unreachable_cluster_is_one_clear_message()
    {
        int port = Rollouts.FreePort();
        var (code, _, stderr) = Rollouts.Run("status", "--experiment", "x", "--gateway", $"127.0.0.1:{port}");
        Assert.Equal(1, code);
        Assert.Contains($"cannot reach the cluster at 127.0.0.1:{port}", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void A_config_with_a_wrong_field_names_the_file_and_field()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "experiment:\n  name: bad\nppo:\n  learning_rat: 0.1\n");
        try
        {
            var (code, _, stderr) = Rollouts.Run("run", "--config", path, "--out", Path.Combine(Path.GetTempPath(), "never"));
            Assert.Equal(2, code);
            Assert.Contains(path + ":4", stderr);
            Assert.Contains("unknown field 'ppo.learning_rat'", stderr);
            var submit = Rollouts.Run("submit", "--config", path);
            Assert.Equal(2, submit.Code);
            Assert.Contains("ppo.learning_rat", submit.Stderr);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_wrongly_typed_value_names_the_field()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "rollout:\n  actors: many\n");
        try
        {
            var (code, _, stderr) = Rollouts.Run("submit", "--config", path);
            Assert.Equal(2, code);
            Assert.Contains("'rollout.actors' must be an integer, got 'many'", stderr);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_plan_with_an_unknown_subgoal_is_rejected_before_the_cluster_is_contacted()
    {
        var (code, _, stderr) = Rollouts.Run("steer", "--experiment", "x", "--plan", "collect wood, fly to the moon", "--gateway", $"127.0.0.1:{Rollouts.FreePort()}");
        Assert.Equal(2, code);
        Assert.Contains("Unknown subgoal 'fly to the moon'", stderr);
    }
}
