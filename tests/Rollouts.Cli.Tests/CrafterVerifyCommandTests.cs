namespace Rollouts.Cli.Tests;

public class CrafterVerifyCommandTests
{
    [Fact]
    public void Verify_reports_each_file_and_the_total()
    {
        string[] files = Directory.GetFiles(CliProcess.TracesDirectory, "*-seed1-*.jsonl.gz")
            .Concat(Directory.GetFiles(CliProcess.TracesDirectory, "shared-worlds-*.jsonl.gz")).ToArray();
        var (code, stdout, _) = CliProcess.Run(["crafter", "verify", .. files]);
        var lines = stdout.Trim().Split('\n');
        Assert.Equal(0, code);
        Assert.Equal($"{files.Length}/{files.Length} traces identical", lines[^1]);
        Assert.All(lines[..^1], l => Assert.Contains(": identical", l));
        // Episode files are rendered too: every frame's pixel sum matches the reference's obs_sum.
        string episodeLine = lines.Single(l => l.Contains("-seed1-"));
        Assert.Matches(@"pixels: (\d+)/\1 frames identical, largest sum difference 0\)", episodeLine);
    }

    [Fact]
    public void A_bad_file_fails_with_a_clear_line_and_nonzero_exit()
    {
        string bad = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.jsonl.gz");
        File.WriteAllText(bad, "this is not gzip or json");
        try
        {
            string good = Directory.GetFiles(CliProcess.TracesDirectory, "*-seed1-*.jsonl.gz").Single();
            var (code, stdout, _) = CliProcess.Run("crafter", "verify", good, bad);
            Assert.NotEqual(0, code);
            Assert.Contains($"{bad}: error: ", stdout);
            Assert.DoesNotContain("   at ", stdout); // no stack trace
            Assert.EndsWith("1/2 traces identical", stdout.Trim());
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Fact]
    public void Verify_without_files_is_a_usage_error()
    {
        var (code, _, stderr) = CliProcess.Run("crafter", "verify");
        Assert.NotEqual(0, code);
        Assert.Contains("Required argument missing", stderr);
    }
}
