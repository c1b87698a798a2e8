using System.Buffers;
using MessagePack;

namespace Rollouts.Agent.Dataset;

/// <summary>Reads and validates a data set written by <see cref="SftDatasetWriter"/>.</summary>
public sealed class SftDatasetReader : IDisposable
{
    private readonly string _path;
    private readonly FileStream _stream;
    private readonly MessagePackStreamReader _reader;
    private readonly MessagePackSerializerOptions _options;
    private long _index;

    public SftDatasetReader(string path)
    {
        _path = path;
        try { _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SftDatasetException($"{path}: cannot open the data set: {e.Message}", e);
        }
        _reader = new MessagePackStreamReader(_stream, leaveOpen: false);
        var first = Next() ?? throw new SftDatasetException($"{path}: empty file, not an SFT data set (no header).");
        SftHeader header;
        try { header = MessagePackSerializer.Deserialize<SftHeader>(first, SftDatasetWriter.Plain); }
        catch (MessagePackSerializationException e) { throw new SftDatasetException($"{path}: not an SFT data set (the header does not parse: {e.Message})", e); }
        if (header.Format != SftHeader.FormatName)
            throw new SftDatasetException($"{path}: not an SFT data set (format '{header.Format}', expected '{SftHeader.FormatName}').");
        if (header.Version != SftHeader.CurrentVersion)
            throw new SftDatasetException($"{path}: version {header.Version} is not supported (this build reads {SftHeader.CurrentVersion}).");
        if (header.VocabularySize != Vocabulary.Size)
            throw new SftDatasetException($"{path}: written with a vocabulary of {header.VocabularySize} words; this build has {Vocabulary.Size}.");
        Header = header;
        _options = header.Compressed ? SftDatasetWriter.Lz4 : SftDatasetWriter.Plain;
    }

    public SftHeader Header { get; }

    /// <summary>All records, validated; throws <see cref="SftDatasetException"/> naming the record at the first problem.</summary>
    public IEnumerable<SftRecord> ReadAll()
    {
        while (Read() is { } record) yield return record;
    }

    /// <summary>The next record, or null at the end of the file.</summary>
    public SftRecord? Read()
    {
        var message = Next();
        if (message is null) return null;
        SftRecord record;
        try { record = MessagePackSerializer.Deserialize<SftRecord>(message.Value, _options); }
        catch (MessagePackSerializationException e)
        {
            throw new SftDatasetException($"{_path}: record {_index} is corrupt: {e.Message}", e);
        }
        Validate(record);
        _index++;
        return record;
    }

    private ReadOnlySequence<byte>? Next()
    {
        ReadOnlySequence<byte>? message;
        try { message = _reader.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult(); }
        catch (MessagePackSerializationException e) { throw new SftDatasetException($"{_path}: record {_index} is corrupt: {e.Message}", e); }
        if (message is null && _reader.RemainingBytes.Length > 0)
            throw new SftDatasetException(
                $"{_path}: truncated or corrupt after record {_index} ({_reader.RemainingBytes.Length} bytes left that do not form a whole record).");
        return message;
    }

    private void Validate(SftRecord r)
    {
        string where = $"{_path}: record {_index} (episode {r.Episode}, step {r.Step})";
        if (r.Prompt is null || r.Prompt.Length < 2 || r.Prompt[0] != Vocabulary.Bos)
            throw new SftDatasetException($"{where}: the prompt must start with <bos>.");
        if (r.Output is null || r.Output.Length < 2 || r.Output[^2] != Vocabulary.Act || !Vocabulary.IsAction(r.Output[^1]))
            throw new SftDatasetException($"{where}: the output must end with '<act> ACTION'.");
        foreach (int id in r.Prompt)
            if ((uint)id >= (uint)Vocabulary.Size) throw new SftDatasetException($"{where}: prompt token id {id} is outside the vocabulary.");
        foreach (int id in r.Output)
            if ((uint)id >= (uint)Vocabulary.Size) throw new SftDatasetException($"{where}: output token id {id} is outside the vocabulary.");
        if (r.Output.Length > 2 && (r.Output[0] != Vocabulary.Plan || r.Output[^3] != Vocabulary.PlanEnd))
            throw new SftDatasetException($"{where}: a planning output must be '<plan> ... </plan> <act> ACTION'.");
    }

    public void Dispose() => _reader.Dispose();

    /// <summary>Reads a whole file (small data sets, tests).</summary>
    public static List<SftRecord> ReadFile(string path)
    {
        using var reader = new SftDatasetReader(path);
        return reader.ReadAll().ToList();
    }
}
