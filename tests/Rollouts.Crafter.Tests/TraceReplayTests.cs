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

    [Theory]
    [InlineData("obj", "objects[0] expected Player at")]
    [InlineData("inv", "player.inv[food] expected")]
    [InlineData("rng", "rng expected [")]
    [InlineData("reward", "reward expected")]
    [InlineData("mat", "material at (")]
    public void A_tampered_field_is_named_with_its_step(string field, string expectedMessage)
    {
        string source = Directory.GetFiles(SharedData.TracesDirectory, "*-seed1-*.jsonl.gz").Single();
        string path = Path.Combine(Path.GetTempPath(), $"tampered-{field}-{Guid.NewGuid():N}.jsonl.gz");
        try
        {
            var lines = TraceTestFiles.ReadLines(source);
            var row = System.Text.Json.Nodes.JsonNode.Parse(lines[10])!;
            switch (field)
            {
                case "obj": row["obj"]![0]![3] = 1; break;
                case "inv": row["player"]!["inv"]![1] = 3; break;
                case "rng": row["rng"]![0] = 7; break;
                case "reward": row["r"] = 5.0; break;
                case "mat": row["mat"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonArray(0, 0, 9)); break;
            }
            lines[10] = row.ToJsonString();
            TraceTestFiles.WriteGzip(path, lines);
            var result = TraceVerifier.Verify(path);
            Assert.False(result.Identical);
            Assert.StartsWith("step 10: ", result.FirstDifference);
            Assert.Contains(expectedMessage, result.FirstDifference);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
