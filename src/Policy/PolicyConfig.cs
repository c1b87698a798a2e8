namespace Rollouts.Policy;

/// <summary>Shape of the policy transformer.</summary>
/// <param name="VocabSize">Number of token ids (from the vocabulary).</param>
/// <param name="DModel">Width of the residual stream.</param>
/// <param name="Layers">Number of transformer blocks.</param>
/// <param name="Heads">Attention heads per block; must divide <paramref name="DModel"/>.</param>
/// <param name="DFf">Hidden width of each block's MLP.</param>
/// <param name="MaxContext">Longest prompt + output, in tokens (size of the position table).</param>
/// <param name="TieEmbeddings">Whether the LM head shares the token-embedding matrix.</param>
/// <param name="Positions">Rotary (the default) or a learned absolute position table.</param>
public sealed record PolicyConfig(
    int VocabSize,
    int DModel,
    int Layers,
    int Heads,
    int DFf,
    int MaxContext,
    bool TieEmbeddings = true,
    PositionEncoding Positions = PositionEncoding.Rotary)
{
    /// <summary>
    /// The default model: d_model 128, 4 layers, 4 heads, d_ff 512, context 256, tied embeddings, for a
    /// closed vocabulary of up to 512 words (set <see cref="VocabSize"/> from the real vocabulary with
    /// <c>PolicyConfig.Default with { VocabSize = n }</c>). About 0.8M parameters without embeddings.
    /// </summary>
    public static PolicyConfig Default { get; } = new(VocabSize: 512, DModel: 128, Layers: 4, Heads: 4, DFf: 512, MaxContext: 256);

    /// <summary>A tiny model for tests.</summary>
    public static PolicyConfig Tiny(int vocabSize) => new(vocabSize, DModel: 16, Layers: 2, Heads: 2, DFf: 32, MaxContext: 64);

    public int HeadDim => DModel / Heads;

    /// <summary>Throws <see cref="ArgumentException"/> naming the offending field.</summary>
    public PolicyConfig Validate()
    {
        Positive(nameof(VocabSize), VocabSize);
        Positive(nameof(DModel), DModel);
        Positive(nameof(Layers), Layers);
        Positive(nameof(Heads), Heads);
        Positive(nameof(DFf), DFf);
        Positive(nameof(MaxContext), MaxContext);
        if (DModel % Heads != 0)
            throw new ArgumentException($"PolicyConfig.DModel ({DModel}) must be a multiple of PolicyConfig.Heads ({Heads}).");
        if (!Enum.IsDefined(Positions))
            throw new ArgumentException($"PolicyConfig.Positions must be Rotary or Learned, got {(int)Positions}.");
        if (Positions == PositionEncoding.Rotary && HeadDim % 2 != 0)
            throw new ArgumentException($"PolicyConfig.DModel / Heads ({HeadDim}) must be even for rotary positions (they rotate pairs of dimensions).");
        if (MaxContext < 2)
            throw new ArgumentException($"PolicyConfig.MaxContext must be at least 2 (one prompt and one output token), got {MaxContext}.");
        return this;
    }

    /// <summary>Trainable parameters, as the model builds them.</summary>
    public long ParameterCount
    {
        get
        {
            long d = DModel, f = DFf;
            long block = 2 * 2 * d          // two LayerNorms
                + d * 3 * d + 3 * d         // qkv
                + d * d + d                 // attention output
                + d * f + f + f * d + d;    // MLP
            long head = TieEmbeddings ? 0 : d * VocabSize + VocabSize;
            long positions = Positions == PositionEncoding.Learned ? (long)MaxContext * d : 0;
            return (long)VocabSize * d + positions + Layers * block + 2 * d + head + d + 1;
        }
    }

    /// <summary>
    /// Forward-pass FLOPs for one token that attends to <paramref name="contextLength"/> positions:
    /// 2 per multiply-add of every matmul (qkv, attention output, MLP, LM head) plus attention scores and
    /// weighted sum (2·2·T·d per layer). Embedding lookups, norms and softmax are not counted.
    /// </summary>
    public double ForwardFlopsPerToken(double contextLength, bool includeLmHead = true)
    {
        double d = DModel, f = DFf;
        double perLayer = 2 * (3 * d * d + d * d + 2 * d * f) + 4 * contextLength * d;
        return Layers * perLayer + (includeLmHead ? 2 * d * VocabSize : 0);
    }

    private static void Positive(string name, int value)
    {
        if (value <= 0) throw new ArgumentException($"PolicyConfig.{name} must be positive, got {value}.");
    }
}
