using Rollouts.Crafter.Traces;

namespace Rollouts.Crafter.Tests;

/// <summary>Every reference trace replays identically: world, objects, player, reward, done, daylight and generator state.</summary>
public class TraceReplayTests
{
    [Theory]
    [MemberData(nameof(SharedData.TraceFiles), MemberType = typeof(SharedData))]
    public void Trace_replays_identically(string file)
    {
        var result = TraceVerifier.Verify(Path.Combine(SharedData.TracesDirectory, file));
        Assert.True(result.Identical, $"{file}: {result.FirstDifference}");
        Assert.True(result.Checked > 0);
    }

    [Fact]
    public void A_changed_action_is_reported_with_file_step_and_field()
    {
        string source = Directory.GetFiles(SharedData.TracesDirectory, "*-uniform-*.jsonl.gz").OrderBy(f => f).First();
        string path = Path.Combine(Path.GetTempPath(), $"tampered-{Guid.NewGuid():N}.jsonl.gz");
        try
        {
            var lines = TraceTestFiles.ReadLines(source);
            // Step 3 replaced by a different action: the replay must diverge at step 3 or later and name a field.
            var row = System.Text.Json.Nodes.JsonNode.Parse(lines[3])!;
            int original = row["a"]!.GetValue<int>();
            row["a"] = original == 0 ? 6 : 0;
            lines[3] = row.ToJsonString();
            TraceTestFiles.WriteGzip(path, lines);

            var result = TraceVerifier.Verify(path);
            Assert.False(result.Identical);
            Assert.Matches(@"^step \d+: ", result.FirstDifference);
            int step = int.Parse(result.FirstDifference!.Split(' ', ':')[1]);
            Assert.True(step >= 3, result.FirstDifference);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
