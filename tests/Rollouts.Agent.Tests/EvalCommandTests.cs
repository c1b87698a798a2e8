using System.Text.Json;
using Rollouts.Agent;
using Rollouts.Cli;

namespace Rollouts.Agent.Tests;

public sealed class EvalCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rollouts-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(EvalOptions options)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = EvalCommand.Run(options, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Two_short_episodes_write_the_json_and_end_with_the_score()
    {
        string path = Path.Combine(_dir, "eval.json");
        var (code, stdout, stderr) = Run(new EvalOptions { Agent = "teacher", Episodes = 2, Seed = 123, Length = 60, Out = path });
        Assert.True(code == 0, stderr);
        string[] lines = stdout.TrimEnd('\n', '\r').Split('\n');
        Assert.Matches(@"^crafter_score=\d+\.\d\d$", lines[^1].TrimEnd('\r'));
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        Assert.Equal(
            ["crafter_score", "progression", "success_rates", "planning_rate", "plan_tokens_per_step", "mean_return", "mean_length", "episodes", "agent", "seed"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, root.GetProperty("episodes").GetInt32());
        Assert.Equal("teacher", root.GetProperty("agent").GetString());
        Assert.Equal(60, root.GetProperty("mean_length").GetDouble());
        Assert.Equal(22, root.GetProperty("success_rates").EnumerateObject().Count());
        Assert.Equal($"crafter_score={root.GetProperty("crafter_score").GetDouble():F2}", lines[^1].TrimEnd('\r'));
        Assert.True(root.GetProperty("planning_rate").GetDouble() > 0);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Local_vision_teacher_runs()
    {
        var (code, stdout, stderr) = Run(new EvalOptions { Agent = "teacher:local", Episodes = 2, Seed = 1, Length = 60 });
        Assert.True(code == 0, stderr);
        Assert.StartsWith("crafter_score=", stdout.TrimEnd().Split('\n')[^1]);
    }

    [Fact]
    public void Fixed_plan_agent_runs()
    {
        var (code, stdout, stderr) = Run(new EvalOptions { Agent = "plan", Plan = "collect wood, place table", Episodes = 1, Seed = 1, Length = 40 });
        Assert.True(code == 0, stderr);
        Assert.StartsWith("crafter_score=", stdout.TrimEnd().Split('\n')[^1]);
    }

    [Theory]
    [InlineData("dragon", null, 2, "Unknown agent kind 'dragon'")]
    [InlineData("checkpoint:/tmp/x.pt", null, 2, "checkpoint agents need the policy project")]
    [InlineData("plan", "collect wood, fly", 2, "Allowed subgoals: collect coal")]
    [InlineData("plan", null, 2, "--plan")]
    [InlineData("teacher", null, 0, "--episodes must be positive")]
    [InlineData("teacher:partial", null, 2, "teacher:full or teacher:local")]
    public void Bad_input_is_one_clear_message_and_a_nonzero_exit(string agent, string? plan, int episodes, string expected)
    {
        string path = Path.Combine(_dir, "bad.json");
        var (code, stdout, stderr) = Run(new EvalOptions { Agent = agent, Plan = plan, Episodes = episodes, Length = 10, Out = path });
        Assert.NotEqual(0, code);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("crafter_score=", stdout);
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Theory]
    [InlineData("teacher", 0.5, "--temperature is only for --agent checkpoint:PATH")]
    [InlineData("plan:collect wood", 0.0, "--temperature is only for --agent checkpoint:PATH")]
    public void A_temperature_for_an_agent_that_does_not_sample_is_refused(string agent, double temperature, string expected)
    {
        string path = Path.Combine(_dir, "t.json");
        var (code, stdout, stderr) = Run(new EvalOptions { Agent = agent, Temperature = temperature, Episodes = 1, Length = 10, Out = path });
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("crafter_score=", stdout);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Unwritable_out_path_fails_before_playing()
    {
        var (code, _, stderr) = Run(new EvalOptions { Episodes = 1, Length = 10, Out = Path.Combine(_dir, "missing", "x.json") });
        Assert.Equal(2, code);
        Assert.Contains("does not exist", stderr);
        (code, _, stderr) = Run(new EvalOptions { Episodes = 1, Length = 10, Out = _dir });
        Assert.Equal(2, code);
        Assert.Contains("is a directory", stderr);
    }

    [Fact]
    public void A_registered_checkpoint_kind_is_used()
    {
        AgentFactory.Register("test-kind", spec => _ => new Rollouts.Agent.Teaching.Teacher());
        var (code, stdout, stderr) = Run(new EvalOptions { Agent = "test-kind:anything", Episodes = 1, Length = 10 });
        Assert.True(code == 0, stderr);
        Assert.StartsWith("crafter_score=", stdout.TrimEnd().Split('\n')[^1]);
    }
}
