using TorchSharp;
using static TorchSharp.torch;

namespace Rollouts.Policy;

/// <summary>
/// Per-token log-probs, entropies and values of given outputs, for training. Tensors keep the
/// autograd graph (unless computed under no_grad). Positions past an output's end are 0 in every
/// per-token tensor and in <see cref="OutputMask"/>.
/// </summary>
public sealed class SequenceScores : IDisposable
{
    internal SequenceScores(Tensor tokenLogProbs, Tensor tokenEntropy, Tensor outputMask, Tensor values)
    {
        TokenLogProbs = tokenLogProbs;
        TokenEntropy = tokenEntropy;
        OutputMask = outputMask;
        Values = values;
        SumLogProbs = tokenLogProbs.sum(1);
        SumEntropy = tokenEntropy.sum(1);
    }

    /// <summary>[B, Tout] log-prob of each output token under the grammar-restricted distribution.</summary>
    public Tensor TokenLogProbs { get; }
    /// <summary>[B, Tout] entropy of the grammar-restricted distribution each output token was drawn from.</summary>
    public Tensor TokenEntropy { get; }
    /// <summary>[B, Tout] 1 for output tokens, 0 for padding.</summary>
    public Tensor OutputMask { get; }
    /// <summary>[B] sum of <see cref="TokenLogProbs"/>: the log-prob of the whole output (the PPO "action").</summary>
    public Tensor SumLogProbs { get; }
    /// <summary>[B] sum of <see cref="TokenEntropy"/> along the output.</summary>
    public Tensor SumEntropy { get; }
    /// <summary>[B] value estimate at the last prompt position.</summary>
    public Tensor Values { get; }

    public void Dispose()
    {
        TokenLogProbs.Dispose(); TokenEntropy.Dispose(); OutputMask.Dispose();
        SumLogProbs.Dispose(); SumEntropy.Dispose(); Values.Dispose();
    }
}

/// <summary>
/// Prompt+output sequences laid out for one teacher-forced forward pass. Sequences are packed: rows 1, 1.5 or 2 times
/// as wide as the longest sequence (see <see cref="PackAnyWidth"/>), each holding as many sequences as fit (first fit,
/// longest first), every sequence with its own positions from 0 and attending only to itself (a block-diagonal causal
/// mask). Teacher inputs run 32-100 tokens, so one sequence per row left about a quarter of every SFT batch as
/// padding; packed, the forward pass computes the same values for every real token (tests compare both layouts).
/// </summary>
internal sealed class ScoringBatch
{
    public required Tensor Ids { get; init; }            // [R, W]
    public required Tensor Positions { get; init; }      // [R, W]
    public required Tensor Mask { get; init; }           // [R, 1, W, W]: query i may attend to key j
    public required Tensor OutputIndex { get; init; }    // [B * Tout]: flat position (row * W + column) whose logits predict output token j
    public required Tensor Targets { get; init; }        // [B, Tout]
    public required Tensor OutputMask { get; init; }     // [B, Tout] float
    public required Tensor LastPromptIndex { get; init; } // [B]: flat position of each prompt's last token
    public required int Batch { get; init; }
    public required int OutputWidth { get; init; }
    /// <summary>Rows of the layout (= <see cref="Batch"/> when not packed).</summary>
    public required int Rows { get; init; }

    /// <summary>Builds the tensors (in the caller's dispose scope); <paramref name="pack"/> false: one sequence per row.</summary>
    public static ScoringBatch Build(PolicyConfig config, int pad, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> outputs, Device device,
        bool pack = true)
    {
        if (prompts.Count != outputs.Count)
            throw new ArgumentException($"{prompts.Count} prompts but {outputs.Count} outputs.");
        if (prompts.Count == 0) throw new ArgumentException("the batch is empty.");
        int batch = prompts.Count, width = 0, outWidth = 0;
        // The last output token is only a target, never an input: a sequence's input is prompt + output - 1 tokens.
        var lengths = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            if (prompts[b] is null || prompts[b].Length == 0) throw new ArgumentException($"prompt {b} is empty.");
            if (outputs[b] is null || outputs[b].Length == 0) throw new ArgumentException($"output {b} is empty.");
            int len = prompts[b].Length + outputs[b].Length;
            if (len > config.MaxContext)
                throw new ArgumentException($"sequence {b} has {len} tokens (prompt {prompts[b].Length} + output {outputs[b].Length}), more than MaxContext {config.MaxContext}.");
            PolicyDecoder.CheckIds(prompts[b], config.VocabSize, $"prompt {b}");
            PolicyDecoder.CheckIds(outputs[b], config.VocabSize, $"output {b}");
            lengths[b] = len - 1;
            width = Math.Max(width, len - 1);
            outWidth = Math.Max(outWidth, outputs[b].Length);
        }

        var (rows, start) = pack ? PackAnyWidth(lengths, ref width) : (batch, Enumerable.Range(0, batch).Select(b => b * width).ToArray());
        var ids = new long[rows * width];
        var pos = new long[rows * width];
        var segment = new long[rows * width];
        Array.Fill(ids, pad);
        // Padding is a segment of its own per row, so that a padding query attends to something and stays finite.
        for (int r = 0; r < rows; r++) segment.AsSpan(r * width, width).Fill(batch + r);
        var outIdx = new long[batch * outWidth];
        var targets = new long[batch * outWidth];
        var mask = new float[batch * outWidth];
        var lastPrompt = new long[batch];
        for (int b = 0; b < batch; b++)
        {
            var p = prompts[b];
            var o = outputs[b];
            int at = start[b];
            for (int j = 0; j < lengths[b]; j++)
            {
                ids[at + j] = j < p.Length ? p[j] : o[j - p.Length];
                pos[at + j] = j;
                segment[at + j] = b;
            }
            lastPrompt[b] = at + p.Length - 1;
            for (int j = 0; j < outWidth; j++)
            {
                bool real = j < o.Length;
                outIdx[b * outWidth + j] = real ? at + p.Length - 1 + j : at;
                targets[b * outWidth + j] = real ? o[j] : pad;
                mask[b * outWidth + j] = real ? 1f : 0f;
            }
        }
        var segmentT = torch.tensor(segment, new long[] { rows, width }, device: device);
        var causal = torch.ones(width, width, dtype: ScalarType.Bool, device: device).tril();
        return new ScoringBatch
        {
            Ids = torch.tensor(ids, new long[] { rows, width }, device: device),
            Positions = torch.tensor(pos, new long[] { rows, width }, device: device),
            Mask = segmentT.unsqueeze(2).eq(segmentT.unsqueeze(1)).logical_and(causal).unsqueeze(1),
            OutputIndex = torch.tensor(outIdx, device: device),
            Targets = torch.tensor(targets, new long[] { batch, outWidth }, device: device),
            OutputMask = torch.tensor(mask, new long[] { batch, outWidth }, device: device),
            LastPromptIndex = torch.tensor(lastPrompt, device: device),
            Batch = batch,
            OutputWidth = outWidth,
            Rows = rows,
        };
    }

    /// <summary>
    /// Packs into rows 1, 1.5 or 2 times as wide as the longest sequence, whichever computes the fewest positions (rows x
    /// width; ties to the narrower, since attention grows with the square of the width). On teacher data (inputs of 32-100
    /// tokens, mean 70) 1.5 wins: 0.81 of the positions of one sequence per row; equal lengths stay one per row.
    /// </summary>
    internal static (int Rows, int[] Start) PackAnyWidth(int[] lengths, ref int width)
    {
        // Longest first, sorted once for the three widths.
        int n = lengths.Length;
        var order = new int[n];
        var keys = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
            keys[i] = -lengths[i];
        }
        Array.Sort(keys, order); // not stable but deterministic; the order of ties only moves sequences between rows
        var best = Pack(lengths, order, width);
        int bestWidth = width;
        foreach (int w in (ReadOnlySpan<int>)[width * 3 / 2, width * 2])
        {
            var candidate = Pack(lengths, order, w);
            if ((long)candidate.Rows * w < (long)best.Rows * bestWidth)
            {
                best = candidate;
                bestWidth = w;
            }
        }
        width = bestWidth;
        return best;
    }

    /// <summary>First fit in the given <paramref name="order"/>: each sequence goes into the first row with room for it.
    /// Returns the row count and each sequence's flat start (row * width + column).</summary>
    private static (int Rows, int[] Start) Pack(int[] lengths, int[] order, int width)
    {
        int n = lengths.Length;
        var fill = new int[n];
        var start = new int[n];
        int rows = 0;
        foreach (int s in order)
        {
            int r = 0;
            while (r < rows && fill[r] + lengths[s] > width) r++;
            if (r == rows) rows++;
            start[s] = r * width + fill[r];
            fill[r] += lengths[s];
        }
        return (rows, start);
    }

    /// <summary>Runs the model: logits at the output positions [B, Tout, V] and values [B].</summary>
    public (Tensor Logits, Tensor Values) Run(PolicyModel model)
    {
        var hidden = model.Hidden(Ids, Positions, Mask);
        long d = hidden.shape[2];
        var flat = hidden.reshape(-1, d);
        var hOut = flat.index_select(0, OutputIndex).view(Batch, OutputWidth, d);
        var hLast = flat.index_select(0, LastPromptIndex);
        return (model.Logits(hOut), model.Value(hLast));
    }
}

/// <summary>Teacher-forced scoring of prompt+output sequences (prompt tokens are never scored).</summary>
public static class PolicyScorer
{
    /// <summary>
    /// Log-probs and entropies of each output token under the grammar-restricted distribution at
    /// <paramref name="temperature"/> (use <see cref="DecodeOptions.LogProbTemperature"/> of the decoding
    /// that produced the outputs), plus values. Outputs must follow the grammar (else
    /// <see cref="ArgumentException"/> naming the row and token).
    /// </summary>
    public static SequenceScores Score(PolicyModel model, OutputGrammar grammar, IReadOnlyList<int[]> prompts,
        IReadOnlyList<int[]> outputs, double temperature = 1.0)
    {
        PolicyDecoder.CheckVocab(model, grammar);
        if (!(temperature > 0) || double.IsInfinity(temperature)) throw new ArgumentException($"temperature must be positive and finite, got {temperature}.");
        using var scope = torch.NewDisposeScope();
        var device = model.Device;
        var sb = ScoringBatch.Build(model.Config, grammar.Tokens.Pad, prompts, outputs, device);
        var stateIds = new long[sb.Batch * sb.OutputWidth];
        for (int b = 0; b < sb.Batch; b++)
        {
            GrammarState[] states;
            try { states = grammar.StatesFor(outputs[b]); }
            catch (ArgumentException e) { throw new ArgumentException($"output {b}: {e.Message}", e); }
            for (int j = 0; j < sb.OutputWidth; j++)
                stateIds[b * sb.OutputWidth + j] = j < states.Length ? (long)states[j] : (long)GrammarState.Done;
        }
        var (logits, values) = sb.Run(model);
        if (temperature != 1.0)
        {
            using Scalar t = temperature; // held through the call (HeldScalars): scoring runs on shard threads
            logits = logits.div(t);
        }
        var allowed = grammar.MaskTable(device)
            .index_select(0, torch.tensor(stateIds, device: device))
            .view(sb.Batch, sb.OutputWidth, grammar.Tokens.VocabSize);
        var logp = logits.masked_fill(allowed.logical_not(), HeldScalars.MaskedLogit).log_softmax(-1);
        var tokenLogp = logp.gather(-1, sb.Targets.unsqueeze(-1)).squeeze(-1) * sb.OutputMask;
        // Forbidden tokens have probability exactly 0 and a finite log-prob, so they add 0 here.
        var entropy = -(logp.exp() * logp).sum(-1) * sb.OutputMask;
        var result = new SequenceScores(tokenLogp, entropy, sb.OutputMask, values);
        result.TokenLogProbs.MoveToOuterDisposeScope();
        result.TokenEntropy.MoveToOuterDisposeScope();
        result.OutputMask.MoveToOuterDisposeScope();
        result.SumLogProbs.MoveToOuterDisposeScope();
        result.SumEntropy.MoveToOuterDisposeScope();
        result.Values.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>
    /// The final hidden state at each prompt's last token [B, D], what the value head reads, without a graph (the
    /// outputs only share the packed layout: attention is causal, so they do not change it).
    /// </summary>
    public static Tensor PromptFeatures(PolicyModel model, int pad, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> outputs)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var sb = ScoringBatch.Build(model.Config, pad, prompts, outputs, model.Device);
        var hidden = model.Hidden(sb.Ids, sb.Positions, sb.Mask);
        return hidden.reshape(-1, hidden.shape[2]).index_select(0, sb.LastPromptIndex).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Unrestricted next-token cross-entropy on the output tokens only (prompt tokens masked), averaged
    /// over output tokens: the SFT loss. Returns a scalar tensor with its graph.
    /// </summary>
    public static Tensor OutputCrossEntropy(PolicyModel model, int pad, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> outputs,
        TargetEmphasis? emphasis = null) => OutputCrossEntropy(model, pad, prompts, outputs, emphasis, pack: true);

    /// <summary>The SFT loss with the layout chosen: <paramref name="pack"/> false puts one sequence per row (for comparisons).</summary>
    internal static Tensor OutputCrossEntropy(PolicyModel model, int pad, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> outputs,
        TargetEmphasis? emphasis, bool pack) => OutputCrossEntropy(model, pad, prompts, outputs, emphasis, pack, denominator: null);

    /// <summary>
    /// The weighted sum of the output tokens' cross-entropy divided by <paramref name="denominator"/>, or by the batch's own
    /// total weight when null: a shard of a batch divided by the whole batch's <see cref="LossWeight"/> gives a loss whose
    /// gradients, summed over the shards, are the whole batch's.
    /// </summary>
    internal static Tensor OutputCrossEntropy(PolicyModel model, int pad, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> outputs,
        TargetEmphasis? emphasis, bool pack, double? denominator)
    {
        using var scope = torch.NewDisposeScope();
        var sb = ScoringBatch.Build(model.Config, pad, prompts, outputs, model.Device, pack);
        var (logits, _) = sb.Run(model);
        var nll = -logits.log_softmax(-1).gather(-1, sb.Targets.unsqueeze(-1)).squeeze(-1);
        var weight = sb.OutputMask;
        if (emphasis is { Weight: not 1.0 } e)
        {
            var ids = torch.tensor(e.TokenIds.Select(x => (long)x).ToArray(), device: model.Device);
            var hit = torch.isin(sb.Targets, ids).to(weight.dtype);
            using Scalar extra = e.Weight - 1.0; // held through the call (HeldScalars): SFT shards run on threads of their own
            weight = weight * hit.mul(extra).add(HeldScalars.One, HeldScalars.One);
        }
        if (denominator is not { } total) return ((nll * weight).sum() / weight.sum()).MoveToOuterDisposeScope();
        using Scalar totalWeight = total;
        var loss = (nll * weight).sum().div(totalWeight);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The total weight of the output tokens in the SFT loss: their count, with <paramref name="emphasis"/>'s tokens counted its weight times.</summary>
    internal static double LossWeight(IReadOnlyList<int[]> outputs, TargetEmphasis? emphasis)
    {
        double total = 0;
        foreach (var output in outputs)
            foreach (int token in output)
                total += emphasis is { Weight: not 1.0 } e && e.TokenIds.Contains(token) ? e.Weight : 1.0;
        return total;
    }
}

/// <summary>Output positions whose target is one of <paramref name="TokenIds"/> count <paramref name="Weight"/> times in the
/// SFT loss (e.g. the action token, one of up to 24 output tokens, which alone decides what happens in the env).</summary>
public sealed record TargetEmphasis(IReadOnlyList<int> TokenIds, double Weight)
{
    public TargetEmphasis Validate()
    {
        if (!(Weight > 0) || double.IsInfinity(Weight)) throw new ArgumentException($"TargetEmphasis.Weight must be positive and finite, got {Weight}.");
        if (TokenIds.Count == 0) throw new ArgumentException("TargetEmphasis.TokenIds is empty.");
        return this;
    }
}
