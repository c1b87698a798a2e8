using Rollouts.Agent.Dataset;
using Rollouts.Agent.Teaching;

namespace Rollouts.Agent.Tests;

public sealed class DatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rollouts-sft-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Write_then_read_round_trips(bool compress)
    {
        string path = Path.Combine(_dir, "d.msgpack");
        var expected = new List<SftRecord>();
        using (var writer = new SftDatasetWriter(path, compress, seed: 4))
        {
            SftDatasetGenerator.Write(writer, 2, 4, 40, PlanningSchedule.Every(4), (_, records) => expected.AddRange(records));
            writer.Complete();
        }
        Assert.False(File.Exists(path + ".tmp"));
        using var reader = new SftDatasetReader(path);
        Assert.Equal(compress, reader.Header.Compressed);
        Assert.Equal(4, reader.Header.Seed);
        var records = reader.ReadAll().ToList();
        Assert.Equal(80, records.Count);
        Assert.Equal(expected.Count, records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            Assert.Equal(expected[i].Episode, records[i].Episode);
            Assert.Equal(expected[i].Step, records[i].Step);
            Assert.Equal(expected[i].EnvSeed, records[i].EnvSeed);
            Assert.Equal(expected[i].Prompt, records[i].Prompt);
            Assert.Equal(expected[i].Output, records[i].Output);
        }
        Assert.Equal([0, 1], records.Select(r => r.Episode).Distinct());
        Assert.Equal(4000, records[0].EnvSeed);
        // every-4: steps 0, 4, 8, ... carry a plan.
        Assert.All(records, r => Assert.Equal(r.Step % 4 == 0, r.Output[0] == Vocabulary.Plan));
        Assert.StartsWith("<bos> <obs> health 9", Vocabulary.Decode(records[0].Prompt));
    }

    [Fact]
    public void Truncated_file_is_a_clear_error()
    {
        string path = Path.Combine(_dir, "t.msgpack");
        using (var writer = new SftDatasetWriter(path, compress: true))
        {
            SftDatasetGenerator.Write(writer, 1, 1, 20, PlanningSchedule.EveryStep);
            writer.Complete();
        }
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 7)]);
        var e = Assert.Throws<SftDatasetException>(() => SftDatasetReader.ReadFile(path));
        Assert.Contains("truncated", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_data_set_is_a_clear_error()
    {
        string path = Path.Combine(_dir, "x.msgpack");
        File.WriteAllText(path, "hello, this is not msgpack");
        var e = Assert.Throws<SftDatasetException>(() => SftDatasetReader.ReadFile(path));
        Assert.Contains(path, e.Message);
        File.WriteAllBytes(path, []);
        Assert.Contains("empty", Assert.Throws<SftDatasetException>(() => SftDatasetReader.ReadFile(path)).Message);
    }

    [Fact]
    public void An_abandoned_writer_leaves_no_file()
    {
        string path = Path.Combine(_dir, "a.msgpack");
        using (var writer = new SftDatasetWriter(path))
            writer.Write(new SftRecord { Prompt = [Vocabulary.Bos, Vocabulary.Obs], Output = [Vocabulary.Act, Vocabulary.FirstAction] });
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".tmp"));
    }
}
