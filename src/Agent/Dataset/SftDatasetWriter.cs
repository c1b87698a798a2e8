using MessagePack;

namespace Rollouts.Agent.Dataset;

/// <summary>
/// Streams SFT records to a file: a <see cref="SftHeader"/> message, then one <see cref="SftRecord"/> message per step
/// (optionally LZ4-compressed). Writes to <c>PATH.tmp</c> and renames on <see cref="Complete"/>, so that a failed or
/// interrupted run never leaves a half-written data set.
/// </summary>
public sealed class SftDatasetWriter : IDisposable
{
    internal static readonly MessagePackSerializerOptions Plain = MessagePackSerializerOptions.Standard;
    internal static readonly MessagePackSerializerOptions Lz4 =
        MessagePackSerializerOptions.Standard.WithCompression(MessagePackCompression.Lz4BlockArray);

    private readonly string _path;
    private readonly string _temp;
    private readonly FileStream _stream;
    private readonly MessagePackSerializerOptions _options;
    private bool _completed;

    public SftDatasetWriter(string path, bool compress = true, long seed = 0, string source = "")
    {
        _path = Path.GetFullPath(path);
        _temp = _path + ".tmp";
        _stream = new FileStream(_temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        _options = compress ? Lz4 : Plain;
        var header = new SftHeader { VocabularySize = Vocabulary.Size, Compressed = compress, Seed = seed, Source = source };
        MessagePackSerializer.Serialize(_stream, header, Plain);
    }

    public long Records { get; private set; }

    public void Write(SftRecord record)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        MessagePackSerializer.Serialize(_stream, record, _options);
        Records++;
    }

    /// <summary>Flushes and moves the file into place.</summary>
    public void Complete()
    {
        if (_completed) return;
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(_temp, _path, overwrite: true);
        _completed = true;
    }

    /// <summary>Without <see cref="Complete"/>, removes the partial file.</summary>
    public void Dispose()
    {
        if (_completed) return;
        _stream.Dispose();
        try { File.Delete(_temp); } catch (IOException) { }
        _completed = true;
    }
}
