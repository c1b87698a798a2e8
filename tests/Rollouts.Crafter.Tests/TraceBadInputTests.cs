using System.IO.Compression;
using Rollouts.Crafter.Traces;

namespace Rollouts.Crafter.Tests;

public class TraceBadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rollouts-trace-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Missing_file_names_the_path()
    {
        string path = Path.Combine(_dir, "nope.jsonl.gz");
        var e = Assert.Throws<TraceFormatException>(() => TraceVerifier.Verify(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Corrupt_gzip_is_a_format_error()
    {
        string path = Path.Combine(_dir, "corrupt.jsonl.gz");
        var bytes = new byte[200];
        new Random(1).NextBytes(bytes);
        bytes[0] = 0x1f;
        bytes[1] = 0x8b;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<TraceFormatException>(() => TraceVerifier.Verify(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Truncated_file_is_a_format_error()
    {
        string source = Directory.GetFiles(SharedData.TracesDirectory, "*-seed1-*.jsonl.gz").Single();
        byte[] all = File.ReadAllBytes(source);
        string path = Path.Combine(_dir, "truncated.jsonl.gz");
        File.WriteAllBytes(path, all[..(all.Length / 2)]);
        var e = Assert.Throws<TraceFormatException>(() => TraceVerifier.Verify(path));
        Assert.Contains("truncated.jsonl.gz", e.Message);
    }

    [Fact]
    public void Another_format_is_rejected_by_name()
    {
        string path = Path.Combine(_dir, "other.jsonl.gz");
        TraceTestFiles.WriteGzip(path, ["{\"format\":\"crafter-trace/2\",\"seed\":1}"]);
        var e = Assert.Throws<TraceFormatException>(() => TraceVerifier.Verify(path));
        Assert.Contains("crafter-trace/2", e.Message);
    }

    [Fact]
    public void Plain_json_that_is_not_a_trace_is_rejected()
    {
        string path = Path.Combine(_dir, "plain.jsonl");
        File.WriteAllText(path, "{\"hello\": 1}\n");
        var e = Assert.Throws<TraceFormatException>(() => TraceVerifier.Verify(path));
        Assert.Contains("not a Crafter trace", e.Message);
    }

    [Fact]
    public void Unknown_action_in_a_trace_is_a_format_error()
    {
        string source = Directory.GetFiles(SharedData.TracesDirectory, "*-seed1-*.jsonl.gz").Single();
        var lines = TraceTestFiles.ReadLines(source);
        var row = System.Text.Json.Nodes.JsonNode.Parse(lines[1])!;
        row["a"] = 99;
        lines[1] = row.ToJsonString();
        string path = Path.Combine(_dir, "badaction.jsonl.gz");
        TraceTestFiles.WriteGzip(path, lines.Take(3));
        var e = Assert.Throws<TraceFormatException>(() => TraceVerifier.Verify(path));
        Assert.Contains("unknown action id 99", e.Message);
    }

    [Fact]
    public void Field_of_the_wrong_type_is_a_format_error()
    {
        string source = Directory.GetFiles(SharedData.TracesDirectory, "*-seed1-*.jsonl.gz").Single();
        var lines = TraceTestFiles.ReadLines(source);
        var row = System.Text.Json.Nodes.JsonNode.Parse(lines[1])!;
        row["player"]!["pos"] = "here";
        lines[1] = row.ToJsonString();
        string path = Path.Combine(_dir, "badtype.jsonl.gz");
        TraceTestFiles.WriteGzip(path, lines.Take(3));
        Assert.Throws<TraceFormatException>(() => TraceVerifier.Verify(path));
    }
}
