using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rollouts.Policy;

/// <summary>
/// A small decoder-only transformer: token embeddings, rotary positions on queries and keys (or a learned position
/// table, <see cref="PolicyConfig.Positions"/>), pre-LN blocks with causal multi-head self-attention and a GELU MLP, a
/// final LayerNorm, an LM head (tied to the token embedding by default) and a value head read at the last prompt position.
/// </summary>
public sealed class PolicyModel : nn.Module
{
    private readonly Embedding tok_emb;
    private readonly Embedding? pos_emb;
    private readonly Tensor? rope_table; // [MaxContext, 2, Dh]; assigned after RegisterComponents: a constant, not a parameter
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm ln_f;
    private readonly Linear? lm_head;
    private readonly Linear value_head;

    public PolicyConfig Config { get; }
    public Device Device { get; private set; }

    /// <param name="config">Model shape (validated).</param>
    /// <param name="device">Where the weights live; <see cref="TorchRuntime.DefaultDevice"/> when null.</param>
    /// <param name="seed">Seed for the weight initialisation (a private generator; the global torch RNG is untouched).</param>
    public PolicyModel(PolicyConfig config, Device? device = null, long seed = 1) : base(LoadedName("policy"))
    {
        Config = config.Validate();
        tok_emb = nn.Embedding(config.VocabSize, config.DModel);
        if (config.Positions == PositionEncoding.Learned) pos_emb = nn.Embedding(config.MaxContext, config.DModel);
        blocks = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new TransformerBlock(config)).ToArray());
        ln_f = nn.LayerNorm(config.DModel);
        lm_head = config.TieEmbeddings ? null : nn.Linear(config.DModel, config.VocabSize, hasBias: true);
        value_head = nn.Linear(config.DModel, 1, hasBias: true);
        RegisterComponents();
        InitWeights(seed);
        Device = device ?? TorchRuntime.DefaultDevice;
        this.to(Device);
        if (config.Positions == PositionEncoding.Rotary)
            rope_table = RotaryTable(config.MaxContext, config.HeadDim).to(Device).DetachFromDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) rope_table?.Dispose();
        base.Dispose(disposing);
    }

    // Runs before the base constructor touches libtorch, so a missing native fix gives TorchRuntime's message.
    private static string LoadedName(string name)
    {
        TorchRuntime.EnsureLoaded();
        return name;
    }

    /// <summary>
    /// RoPE for every position p < <paramref name="context"/>, angles p·10000^(−2i/Dh) for the pairs (x_i, x_{i+Dh/2}):
    /// row p is [cos | cos] and [−sin | sin] over the Dh dimensions, so that rotating is x·C + swap_halves(x)·S
    /// (two multiplies, a concatenation and an add per block: decoding runs this for every generated token).
    /// </summary>
    private static Tensor RotaryTable(int context, int headDim)
    {
        int half = headDim / 2;
        var table = new float[context * 2 * headDim];
        for (int p = 0; p < context; p++)
        for (int i = 0; i < half; i++)
        {
            double angle = p * Math.Pow(10000.0, -2.0 * i / headDim);
            float cos = (float)Math.Cos(angle), sin = (float)Math.Sin(angle);
            int row = p * 2 * headDim;
            table[row + i] = cos;
            table[row + half + i] = cos;
            table[row + headDim + i] = -sin;
            table[row + headDim + half + i] = sin;
        }
        return torch.tensor(table, new long[] { context, 2, headDim });
    }

    private void InitWeights(long seed)
    {
        using var _ = torch.no_grad();
        using var generator = new Generator((ulong)seed, torch.CPU);
        // Held through every call (HeldScalars): a learner may build a model while a decoder runs.
        using Scalar residualStd = 0.02 / Math.Sqrt(2.0 * Config.Layers), std = 0.02;
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else if (name.Contains("ln", StringComparison.Ordinal)) p.fill_(HeldScalars.One);
            // Drawn with torch.randn from the seeded generator: nn.init.normal_ does not draw from the generator it is
            // given (two models with one seed came out different), and every process of an experiment needs the same start.
            else p.copy_(torch.randn(p.shape, generator: generator).mul_(name.EndsWith("proj.weight", StringComparison.Ordinal) ? residualStd : std));
        }
    }

    /// <summary>
    /// Runs the transformer. <paramref name="ids"/> and <paramref name="positions"/> are [B, T] int64;
    /// <paramref name="attendMask"/> is a bool mask broadcastable to [B, 1, T, Tk] (true = may attend), where
    /// Tk is T, or cache length + T when <paramref name="cache"/> is given (then the new keys/values are
    /// written into the cache and its length advances by T). Returns the final-LayerNorm hidden states [B, T, D].
    /// With a null <paramref name="attendMask"/> attention is plainly causal (every row starts at position 0 of the
    /// sequence), which lets libtorch use its fused kernel instead of materialising a [B, 1, T, T] mask.
    /// </summary>
    public Tensor Hidden(Tensor ids, Tensor positions, Tensor? attendMask, KvCache? cache = null)
    {
        if (attendMask is null && cache is not null && cache.Length > 0)
            throw new ArgumentException("A null attendMask means causal attention from position 0: the cache must be empty.", nameof(attendMask));
        if (cache is not null && cache.Length + ids.shape[1] > cache.Capacity)
            throw new InvalidOperationException($"KV cache holds {cache.Capacity} positions; {cache.Length} used, {ids.shape[1]} more requested.");
        using var scope = torch.NewDisposeScope();
        Tensor x;
        Rotary? rope = null;
        if (pos_emb is not null)
        {
            x = tok_emb.call(ids).add(pos_emb.call(positions), HeldScalars.One); // no temporary alpha (HeldScalars)
        }
        else
        {
            x = tok_emb.call(ids);
            long b = ids.shape[0], t = ids.shape[1];
            var rows = rope_table!.index_select(0, positions.reshape(-1)).view(b, t, 1, 2, Config.HeadDim); // [B, T, 1, 2, Dh]
            rope = new Rotary(rows.narrow(3, 0, 1), rows.narrow(3, 1, 1)); // each [B, T, 1, 1, Dh]
        }
        for (int i = 0; i < blocks.Count; i++)
            x = blocks[i].Forward(x, attendMask, cache, i, rope);
        if (cache is not null) cache.Length += (int)ids.shape[1];
        return ln_f.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>Next-token logits [.., V] from hidden states [.., D].</summary>
    public Tensor Logits(Tensor hidden) =>
        lm_head is null ? hidden.matmul(tok_emb.weight!.t()) : lm_head.call(hidden);

    /// <summary>Value estimates [..] from hidden states [.., D] (read at the last prompt position).</summary>
    public Tensor Value(Tensor hidden) => value_head.call(hidden).squeeze(-1);

    /// <summary>
    /// Sets the value head to value(h) = h·<paramref name="weight"/> + <paramref name="bias"/> (zeros before PPO's value
    /// warm-up, then its least-squares fit: <see cref="ValueHeadFit"/>).
    /// </summary>
    public void SetValueHead(ReadOnlySpan<float> weight, float bias)
    {
        if (weight.Length != Config.DModel)
            throw new ArgumentException($"the value head takes {Config.DModel} weights, got {weight.Length}.");
        using var _ = torch.no_grad();
        using var w = torch.tensor(weight.ToArray(), new long[] { 1, Config.DModel }, device: Device);
        using var b = torch.tensor(new[] { bias }, device: Device);
        value_head.weight!.copy_(w);
        value_head.bias!.copy_(b);
    }

    /// <summary>A cache for <paramref name="batch"/> rows and up to <paramref name="capacity"/> positions.</summary>
    public KvCache NewCache(int batch, int capacity) => new(Config, batch, capacity, Device);

    /// <summary>Named parameter tensors in a stable order (used by checkpoints).</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> NamedTensors() =>
        named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();

    /// <summary>Copies every parameter of <paramref name="other"/> (same shape) into this model.</summary>
    public void CopyWeightsFrom(PolicyModel other)
    {
        if (other.Config != Config) throw new ArgumentException($"cannot copy weights from a model of shape {other.Config} into {Config}.");
        using var _ = torch.no_grad();
        var mine = NamedTensors();
        var theirs = other.NamedTensors();
        for (int i = 0; i < mine.Count; i++) mine[i].Tensor.copy_(theirs[i].Tensor);
    }
}

/// <summary>Keys and values per layer, [B, H, capacity, head_dim], filled left to right.</summary>
public sealed class KvCache : IDisposable
{
    internal readonly Tensor[] Keys;
    internal readonly Tensor[] Values;

    internal KvCache(PolicyConfig config, int batch, int capacity, Device device)
    {
        Capacity = capacity;
        Keys = new Tensor[config.Layers];
        Values = new Tensor[config.Layers];
        for (int i = 0; i < config.Layers; i++)
        {
            // Uninitialised: attention only ever reads positions below Length, which have been written.
            Keys[i] = torch.empty(new long[] { batch, config.Heads, capacity, config.HeadDim }, device: device);
            Values[i] = torch.empty(new long[] { batch, config.Heads, capacity, config.HeadDim }, device: device);
        }
    }

    /// <summary>Positions filled so far.</summary>
    public int Length { get; internal set; }

    /// <summary>Rows in the cache.</summary>
    public long Rows => Keys.Length > 0 ? Keys[0].shape[0] : 0;

    /// <summary>Keeps only the rows listed in <paramref name="rows"/> (an int64 index, in the new order); the others are freed.</summary>
    public void KeepRows(Tensor rows)
    {
        for (int i = 0; i < Keys.Length; i++)
        {
            var k = Keys[i].index_select(0, rows).DetachFromDisposeScope();
            var v = Values[i].index_select(0, rows).DetachFromDisposeScope();
            Keys[i].Dispose();
            Values[i].Dispose();
            Keys[i] = k;
            Values[i] = v;
        }
    }
    public int Capacity { get; }

    public void Dispose()
    {
        foreach (var t in Keys) t.Dispose();
        foreach (var t in Values) t.Dispose();
    }
}

/// <summary>Each position's rotary factors, [B, T, 1, 1, Dh]: C = [cos | cos], S = [−sin | sin], shared by every block of one
/// forward pass.</summary>
internal sealed class Rotary(Tensor cos, Tensor sin)
{
    /// <summary>Rotates each pair (x_i, x_{i+Dh/2}) of <paramref name="x"/> [B, T, n, H, Dh] by its position's angle.</summary>
    public Tensor Apply(Tensor x)
    {
        long half = x.shape[^1] / 2;
        var swapped = torch.cat([x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return torch.addcmul(x * cos, swapped, sin, HeldScalars.One); // x·C + swapped·S with one temporary fewer
    }
}

internal sealed class TransformerBlock : nn.Module
{
    private readonly LayerNorm ln_1;
    private readonly Linear attn_qkv;
    private readonly Linear attn_proj;
    private readonly LayerNorm ln_2;
    private readonly Linear mlp_fc;
    private readonly Linear mlp_proj;
    private readonly int heads;
    private readonly int headDim;

    public TransformerBlock(PolicyConfig c) : base("block")
    {
        heads = c.Heads;
        headDim = c.HeadDim;
        ln_1 = nn.LayerNorm(c.DModel);
        attn_qkv = nn.Linear(c.DModel, 3 * c.DModel);
        attn_proj = nn.Linear(c.DModel, c.DModel);
        ln_2 = nn.LayerNorm(c.DModel);
        mlp_fc = nn.Linear(c.DModel, c.DFf);
        mlp_proj = nn.Linear(c.DFf, c.DModel);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor? attendMask, KvCache? cache, int layer, Rotary? rope)
    {
        long b = x.shape[0], t = x.shape[1], d = x.shape[2];
        var qkv = attn_qkv.call(ln_1.call(x)).view(b, t, 3, heads, headDim); // [B, T, 3, H, Dh]
        Tensor q, k;
        if (rope is not null)
        {
            // Queries and keys in one go, in the layout the linear layer wrote; keys are rotated before they enter the
            // cache, so a cached key keeps the position it was written at.
            var qk = rope.Apply(qkv.narrow(2, 0, 2)).permute(2, 0, 3, 1, 4); // [2, B, H, T, Dh]
            q = qk[0];
            k = qk[1];
        }
        else
        {
            q = qkv.select(2, 0).transpose(1, 2);
            k = qkv.select(2, 1).transpose(1, 2);
        }
        var v = qkv.select(2, 2).transpose(1, 2); // [B, H, T, Dh]
        if (cache is not null)
        {
            cache.Keys[layer].narrow(2, cache.Length, t).copy_(k);
            cache.Values[layer].narrow(2, cache.Length, t).copy_(v);
            // In the prefill (empty cache) the keys and values just computed are all there is: attending to them
            // directly spares the attention reading strided views of the larger cache.
            if (cache.Length > 0)
            {
                k = cache.Keys[layer].narrow(2, 0, cache.Length + t);
                v = cache.Values[layer].narrow(2, 0, cache.Length + t);
            }
        }
        var attended = attendMask is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, null, 0, true)
            : nn.functional.scaled_dot_product_attention(q, k, v, attendMask);
        // Residual adds with a held alpha: Tensor + Tensor passes a temporary scalar 1 (HeldScalars).
        x = x.add(attn_proj.call(attended.transpose(1, 2).reshape(b, t, d)), HeldScalars.One);
        x = x.add(mlp_proj.call(nn.functional.gelu(mlp_fc.call(ln_2.call(x)))), HeldScalars.One);
        return x;
    }
}
