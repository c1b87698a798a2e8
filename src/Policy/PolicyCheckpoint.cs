using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rollouts.Policy;

/// <summary>A checkpoint file that cannot be used: not a checkpoint, truncated, corrupt, or of another model shape.</summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string path, string problem, Exception? inner = null)
        : base($"checkpoint '{path}': {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    public string Path { get; }
    public string Problem { get; }
}

/// <summary>What a checkpoint holds besides the weights.</summary>
/// <param name="Config">The model shape.</param>
/// <param name="Step">Optimizer steps taken when it was saved (training resumes at Step + 1).</param>
/// <param name="Kind">Who wrote it, e.g. "sft" or "ppo".</param>
/// <param name="HasOptimizerState">Whether AdamW moments are included.</param>
/// <param name="Metadata">Free-form key/value pairs (policy version, run id, …).</param>
public sealed record PolicyCheckpointInfo(PolicyConfig Config, long Step, string Kind, bool HasOptimizerState,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Checkpoint file format (little-endian):
/// <code>
/// "RLPOLICY" (8 bytes) | format version int32 | body length int64 |
/// body: config (vocab, d_model, layers, heads, d_ff, max_context int32; tied bool; positions int32, 0 rotary 1 learned,
///       from version 2 on: version 1 files hold learned positions) | step int64 | kind string |
///       metadata (count int32, key/value strings) | tensors (count int32; name string, rank int32, dims int64…, float32 data) |
///       optimizer (has bool; length int64; TorchSharp optimizer state bytes) |
/// FNV-1a 64 checksum of the body (uint64)
/// </code>
/// Files are written to a temporary file beside the target and renamed over it, so an existing
/// checkpoint is replaced only by a complete new one.
/// </summary>
public static class PolicyCheckpoint
{
    private static readonly byte[] Magic = "RLPOLICY"u8.ToArray();
    public const int FormatVersion = 2;
    private const int HeaderLength = 8 + 4 + 8;

    public static void Save(string path, PolicyModel model, long step, string kind, OptimizerHelper? optimizer = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            WriteConfig(w, model.Config);
            w.Write(step);
            w.Write(kind);
            var meta = metadata ?? new Dictionary<string, string>();
            w.Write(meta.Count);
            foreach (var (k, v) in meta.OrderBy(kv => kv.Key, StringComparer.Ordinal)) { w.Write(k); w.Write(v); }
            var tensors = model.NamedTensors();
            w.Write(tensors.Count);
            foreach (var (name, t) in tensors)
            {
                w.Write(name);
                w.Write(t.shape.Length);
                foreach (var dim in t.shape) w.Write(dim);
                using var cpu = t.detach().cpu().contiguous();
                var data = cpu.data<float>().ToArray();
                w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
            }
            w.Write(optimizer is not null);
            if (optimizer is not null)
            {
                var opt = new MemoryStream();
                using (var ow = new BinaryWriter(opt, Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(ow);
                w.Write(opt.Length);
                w.Write(opt.GetBuffer(), 0, (int)opt.Length);
            }
        }

        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            using (var w = new BinaryWriter(fs))
            {
                w.Write(Magic);
                w.Write(FormatVersion);
                w.Write(body.Length);
                w.Write(body.GetBuffer(), 0, (int)body.Length);
                w.Write(Fnv1a(body.GetBuffer().AsSpan(0, (int)body.Length)));
                w.Flush();
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Reads and verifies the file; returns what it holds without touching a model.</summary>
    public static PolicyCheckpointInfo ReadInfo(string path) => Parse(path, ReadVerified(path)).Info;

    /// <summary>Builds a model of the checkpoint's shape and loads its weights.</summary>
    public static (PolicyModel Model, PolicyCheckpointInfo Info) LoadModel(string path, Device? device = null)
    {
        var parsed = Parse(path, ReadVerified(path));
        var model = new PolicyModel(parsed.Info.Config, device);
        try
        {
            Apply(path, parsed, model, null);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return (model, parsed.Info);
    }

    /// <summary>
    /// Loads weights (and optimizer state, when both are present) into an existing model. Throws
    /// <see cref="CheckpointException"/> when the checkpoint's shape differs from the model's; the model
    /// is left unchanged in that case.
    /// </summary>
    public static PolicyCheckpointInfo LoadInto(string path, PolicyModel model, OptimizerHelper? optimizer = null)
    {
        var parsed = Parse(path, ReadVerified(path));
        if (parsed.Info.Config != model.Config)
            throw new CheckpointException(path,
                $"it holds a model of shape {Describe(parsed.Info.Config)}, but the model being loaded has shape {Describe(model.Config)}.");
        Apply(path, parsed, model, optimizer);
        return parsed.Info;
    }

    /// <summary>
    /// Restores a trainer: weights always; AdamW state and the step counter only from a checkpoint of the trainer's
    /// own kind (an SFT checkpoint starts PPO at step 0 with fresh AdamW moments).
    /// </summary>
    internal static (PolicyCheckpointInfo Info, long Step) LoadForTrainer(string path, PolicyModel model, OptimizerHelper optimizer, string kind)
    {
        bool sameKind = ReadInfo(path).Kind == kind;
        var info = LoadInto(path, model, sameKind ? optimizer : null);
        return (info, sameKind ? info.Step : 0);
    }

    public static string Describe(PolicyConfig c) =>
        $"(vocab {c.VocabSize}, d_model {c.DModel}, layers {c.Layers}, heads {c.Heads}, d_ff {c.DFf}, context {c.MaxContext}, tied {c.TieEmbeddings}, positions {c.Positions.ToString().ToLowerInvariant()})";

    private sealed record Parsed(PolicyCheckpointInfo Info, List<(string Name, long[] Shape, float[] Data)> Tensors, byte[]? Optimizer);

    private static byte[] ReadVerified(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, $"cannot be read: {e.Message}", e);
        }
        if (bytes.Length < HeaderLength)
            throw new CheckpointException(path, $"is {bytes.Length} bytes long, too short for a policy checkpoint (truncated or not a checkpoint).");
        if (!bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw new CheckpointException(path, "is not a Rollouts policy checkpoint (bad magic; expected \"RLPOLICY\").");
        int version = BitConverter.ToInt32(bytes, 8);
        if (version is < 1 or > FormatVersion)
            throw new CheckpointException(path, $"has format version {version}; this build reads versions 1 to {FormatVersion}.");
        long bodyLength = BitConverter.ToInt64(bytes, 12);
        long expected = HeaderLength + bodyLength + 8;
        if (bodyLength < 0 || bytes.Length < expected)
            throw new CheckpointException(path, $"is truncated: {bytes.Length} bytes, the header says {expected}.");
        if (bytes.Length > expected)
            throw new CheckpointException(path, $"has {bytes.Length - expected} unexpected bytes after the end of the checkpoint.");
        ulong stored = BitConverter.ToUInt64(bytes, (int)(HeaderLength + bodyLength));
        ulong actual = Fnv1a(bytes.AsSpan(HeaderLength, (int)bodyLength));
        if (stored != actual)
            throw new CheckpointException(path, $"is corrupt: checksum {actual:x16} does not match the stored {stored:x16}.");
        return bytes;
    }

    private static Parsed Parse(string path, byte[] bytes)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, HeaderLength, bytes.Length - HeaderLength - 8), Encoding.UTF8);
            int version = BitConverter.ToInt32(bytes, 8);
            var config = new PolicyConfig(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadBoolean(),
                version >= 2 ? (PositionEncoding)r.ReadInt32() : PositionEncoding.Learned);
            try { config.Validate(); }
            catch (ArgumentException e) { throw new CheckpointException(path, $"holds an invalid model shape: {e.Message}", e); }
            long step = r.ReadInt64();
            string kind = r.ReadString();
            int metaCount = r.ReadInt32();
            var meta = new Dictionary<string, string>();
            for (int i = 0; i < metaCount; i++) meta[r.ReadString()] = r.ReadString();
            int count = r.ReadInt32();
            var tensors = new List<(string, long[], float[])>(count);
            for (int i = 0; i < count; i++)
            {
                string name = r.ReadString();
                int rank = r.ReadInt32();
                var shape = new long[rank];
                long n = 1;
                for (int k = 0; k < rank; k++) { shape[k] = r.ReadInt64(); n *= shape[k]; }
                var data = new float[n];
                var raw = r.ReadBytes(checked((int)(n * 4)));
                if (raw.Length != n * 4) throw new EndOfStreamException();
                Buffer.BlockCopy(raw, 0, data, 0, raw.Length);
                tensors.Add((name, shape, data));
            }
            byte[]? optimizer = null;
            bool hasOptimizer = r.ReadBoolean();
            if (hasOptimizer)
            {
                long len = r.ReadInt64();
                optimizer = r.ReadBytes(checked((int)len));
                if (optimizer.Length != len) throw new EndOfStreamException();
            }
            return new Parsed(new PolicyCheckpointInfo(config, step, kind, hasOptimizer, meta), tensors, optimizer);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or OverflowException or ArgumentException or OutOfMemoryException)
        {
            throw new CheckpointException(path, $"body cannot be parsed ({e.Message}).", e);
        }
    }

    private static void Apply(string path, Parsed parsed, PolicyModel model, OptimizerHelper? optimizer)
    {
        var mine = model.NamedTensors();
        if (mine.Count != parsed.Tensors.Count)
            throw new CheckpointException(path, $"holds {parsed.Tensors.Count} tensors; the model has {mine.Count}.");
        for (int i = 0; i < mine.Count; i++)
        {
            var (name, shape, _) = parsed.Tensors[i];
            if (name != mine[i].Name || !shape.SequenceEqual(mine[i].Tensor.shape))
                throw new CheckpointException(path,
                    $"tensor {i} is '{name}' [{string.Join(", ", shape)}]; the model expects '{mine[i].Name}' [{string.Join(", ", mine[i].Tensor.shape)}].");
        }
        using (torch.no_grad())
        {
            for (int i = 0; i < mine.Count; i++)
            {
                var (_, shape, data) = parsed.Tensors[i];
                using var src = torch.tensor(data, shape);
                mine[i].Tensor.copy_(src);
            }
        }
        if (optimizer is not null && parsed.Optimizer is not null)
        {
            try
            {
                using var r = new BinaryReader(new MemoryStream(parsed.Optimizer));
                optimizer.load_state_dict(r);
            }
            catch (Exception e)
            {
                throw new CheckpointException(path, $"optimizer state cannot be loaded ({e.Message}).", e);
            }
        }
    }

    private static void WriteConfig(BinaryWriter w, PolicyConfig c)
    {
        w.Write(c.VocabSize); w.Write(c.DModel); w.Write(c.Layers); w.Write(c.Heads);
        w.Write(c.DFf); w.Write(c.MaxContext); w.Write(c.TieEmbeddings); w.Write((int)c.Positions);
    }

    private static ulong Fnv1a(ReadOnlySpan<byte> data)
    {
        ulong h = 14695981039346656037UL;
        foreach (var b in data) { h ^= b; h *= 1099511628211UL; }
        return h;
    }
}
