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

/// <summary>Prompt+output sequences laid out for one teacher-forced forward pass (right-padded).</summary>
internal sealed class ScoringBatch
{
    public required Tensor Ids { get; init; }            // [B, L]
    public required Tensor Positions { get; init; }      // [B, L]
    public required Tensor Causal { get; init; }         // [1, 1, L, L]
    public required Tensor OutputIndex { get; init; }    // [B, Tout]: position whose logits predict output token j
    public required Tensor Targets { get; init; }        // [B, Tout]
    public required Tensor OutputMask { get; init; }     // [B, Tout] float
    public required Tensor LastPromptIndex { get; init; } // [B]
    public required int Batch { get; init; }
    public required int OutputWidth { get; init; }

    /// <summary>Builds the tensors (in the caller's dispose scope).</summary>
    public static ScoringBatch Build(PolicyConfig config, int pad, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> outputs, Device device)
    {
        if (prompts.Count != outputs.Count)
            throw new ArgumentException($"{prompts.Count} prompts but {outputs.Count} outputs.");
        if (prompts.Count == 0) throw new ArgumentException("the batch is empty.");
        int batch = prompts.Count, width = 0, outWidth = 0;
        for (int b = 0; b < batch; b++)
        {
            if (prompts[b] is null || prompts[b].Length == 0) throw new ArgumentException($"prompt {b} is empty.");
            if (outputs[b] is null || outputs[b].Length == 0) throw new ArgumentException($"output {b} is empty.");
            int len = prompts[b].Length + outputs[b].Length;
            if (len > config.MaxContext)
                throw new ArgumentException($"sequence {b} has {len} tokens (prompt {prompts[b].Length} + output {outputs[b].Length}), more than MaxContext {config.MaxContext}.");
            PolicyDecoder.CheckIds(prompts[b], config.VocabSize, $"prompt {b}");
            PolicyDecoder.CheckIds(outputs[b], config.VocabSize, $"output {b}");
            width = Math.Max(width, len);
            outWidth = Math.Max(outWidth, outputs[b].Length);
        }
        // The last output token is only a target, never an input: drop the final column.
        width -= 1;
        var ids = new long[batch * width];
        var pos = new long[batch * width];
        var outIdx = new long[batch * outWidth];
        var targets = new long[batch * outWidth];
        var mask = new float[batch * outWidth];
        var lastPrompt = new long[batch];
        for (int b = 0; b < batch; b++)
        {
            var p = prompts[b];
            var o = outputs[b];
            for (int j = 0; j < width; j++)
            {
                int k = j;
                ids[b * width + j] = k < p.Length ? p[k] : k - p.Length < o.Length ? o[k - p.Length] : pad;
                pos[b * width + j] = j;
            }
            lastPrompt[b] = p.Length - 1;
            for (int j = 0; j < outWidth; j++)
            {
                bool real = j < o.Length;
                outIdx[b * outWidth + j] = real ? p.Length - 1 + j : 0;
                targets[b * outWidth + j] = real ? o[j] : pad;
                mask[b * outWidth + j] = real ? 1f : 0f;
            }
        }
        return new ScoringBatch
        {
            Ids = torch.tensor(ids, new long[] { batch, width }, device: device),
            Positions = torch.tensor(pos, new long[] { batch, width }, device: device),
            Causal = torch.ones(width, width, dtype: ScalarType.Bool, device: device).tril().unsqueeze(0).unsqueeze(0),
            OutputIndex = torch.tensor(outIdx, new long[] { batch, outWidth }, device: device),
            Targets = torch.tensor(targets, new long[] { batch, outWidth }, device: device),
            OutputMask = torch.tensor(mask, new long[] { batch, outWidth }, device: device),
            LastPromptIndex = torch.tensor(lastPrompt, device: device),
            Batch = batch,
            OutputWidth = outWidth,
        };
    }

    /// <summary>Runs the model: logits at the output positions [B, Tout, V] and values [B].</summary>
    public (Tensor Logits, Tensor Values) Run(PolicyModel model)
    {
        var hidden = model.Hidden(Ids, Positions, Causal);
        long d = hidden.shape[2];
        var hOut = hidden.gather(1, OutputIndex.unsqueeze(-1).expand(Batch, OutputWidth, d));
        var hLast = hidden.gather(1, LastPromptIndex.view(Batch, 1, 1).expand(Batch, 1, d)).squeeze(1);
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
        if (temperature != 1.0) logits = logits / temperature;
        var allowed = grammar.MaskTable(device)
            .index_select(0, torch.tensor(stateIds, device: device))
            .view(sb.Batch, sb.OutputWidth, grammar.Tokens.VocabSize);
        var logp = logits.masked_fill(allowed.logical_not(), PolicyDecoder.MaskedLogit).log_softmax(-1);
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
    /// Unrestricted next-token cross-entropy on the output tokens only (prompt tokens masked), averaged
    /// over output tokens: the SFT loss. Returns a scalar tensor with its graph.
    /// </summary>
    public static Tensor OutputCrossEntropy(PolicyModel model, int pad, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> outputs,
        TargetEmphasis? emphasis = null)
    {
        using var scope = torch.NewDisposeScope();
        var sb = ScoringBatch.Build(model.Config, pad, prompts, outputs, model.Device);
        var (logits, _) = sb.Run(model);
        var nll = -logits.log_softmax(-1).gather(-1, sb.Targets.unsqueeze(-1)).squeeze(-1);
        var weight = sb.OutputMask;
        if (emphasis is { Weight: not 1.0 } e)
        {
            var ids = torch.tensor(e.TokenIds.Select(x => (long)x).ToArray(), device: model.Device);
            var hit = torch.isin(sb.Targets, ids).to(weight.dtype);
            weight = weight * (hit * (e.Weight - 1.0) + 1.0);
        }
        var loss = (nll * weight).sum() / weight.sum();
        return loss.MoveToOuterDisposeScope();
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
