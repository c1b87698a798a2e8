using TorchSharp;
using static TorchSharp.torch;

namespace Rollouts.Policy;

/// <summary>Where an output is in the grammar; decides which tokens may come next.</summary>
public enum GrammarState
{
    /// <summary>First token: &lt;plan&gt; or &lt;act&gt; (the decision to plan).</summary>
    Decide = 0,
    /// <summary>Inside a plan: plan words or &lt;/plan&gt;.</summary>
    PlanBody = 1,
    /// <summary>The plan reached its length limit: only &lt;/plan&gt;.</summary>
    PlanMustClose = 2,
    /// <summary>After &lt;/plan&gt;: only &lt;act&gt;.</summary>
    MustAct = 3,
    /// <summary>After &lt;act&gt;: one action token.</summary>
    Action = 4,
    /// <summary>After the action when <see cref="OutputGrammar.EndWithEos"/>: only &lt;eos&gt;.</summary>
    MustEos = 5,
    /// <summary>The output is complete.</summary>
    Done = 6,
}

/// <summary>
/// The output grammar <c>&lt;plan&gt; w … &lt;/plan&gt; &lt;act&gt; A [&lt;eos&gt;]</c> or <c>&lt;act&gt; A [&lt;eos&gt;]</c>
/// as a state machine, plus one allowed-token mask per state. Decoding samples from the model's
/// distribution restricted to the allowed tokens (renormalised); scoring for training restricts the same
/// way, so log-probabilities agree. Tokens forced by the grammar (only one allowed) have log-prob 0.
/// </summary>
public sealed class OutputGrammar
{
    public const int StateCount = 7;

    /// <param name="tokens">Token ids (validated).</param>
    /// <param name="maxPlanTokens">Most tokens between &lt;plan&gt; and &lt;/plan&gt;; then &lt;/plan&gt; is forced.</param>
    /// <param name="endWithEos">Whether &lt;eos&gt; follows the action token (forced, log-prob 0).</param>
    /// <param name="planDecision">Whether the first token is the model's choice or forced (then log-prob 0).</param>
    public OutputGrammar(TokenSpec tokens, int maxPlanTokens = 24, bool endWithEos = false, PlanDecision planDecision = PlanDecision.Model)
    {
        Tokens = tokens.Validate();
        if (maxPlanTokens < 0) throw new ArgumentException($"maxPlanTokens must be >= 0, got {maxPlanTokens}.");
        MaxPlanTokens = maxPlanTokens;
        EndWithEos = endWithEos;
        if (!Enum.IsDefined(planDecision)) throw new ArgumentOutOfRangeException(nameof(planDecision), planDecision, "Unknown plan decision.");
        PlanDecision = planDecision;
        var allowed = new bool[StateCount][];
        for (int s = 0; s < StateCount; s++) allowed[s] = new bool[tokens.VocabSize];
        allowed[(int)GrammarState.Decide][tokens.Plan] = planDecision != PlanDecision.Never;
        allowed[(int)GrammarState.Decide][tokens.Act] = planDecision != PlanDecision.Always;
        foreach (var id in tokens.PlanWordIds) allowed[(int)GrammarState.PlanBody][id] = true;
        allowed[(int)GrammarState.PlanBody][tokens.PlanEnd] = true;
        allowed[(int)GrammarState.PlanMustClose][tokens.PlanEnd] = true;
        allowed[(int)GrammarState.MustAct][tokens.Act] = true;
        foreach (var id in tokens.ActionIds) allowed[(int)GrammarState.Action][id] = true;
        allowed[(int)GrammarState.MustEos][tokens.Eos] = true;
        allowed[(int)GrammarState.Done][tokens.Pad] = true;
        Allowed = allowed;
    }

    public TokenSpec Tokens { get; }
    public int MaxPlanTokens { get; }
    public bool EndWithEos { get; }
    public PlanDecision PlanDecision { get; }

    /// <summary>Allowed[state][token].</summary>
    public IReadOnlyList<bool[]> Allowed { get; }

    /// <summary>Longest possible output: decision, plan body, &lt;/plan&gt;, &lt;act&gt;, action, optional &lt;eos&gt;.</summary>
    public int MaxOutputTokens => MaxPlanTokens + 4 + (EndWithEos ? 1 : 0);

    /// <summary>The state after <paramref name="token"/>; <paramref name="planBody"/> counts plan words so far.</summary>
    public GrammarState Next(GrammarState state, ref int planBody, int token)
    {
        if (state == GrammarState.Done || !Allowed[(int)state][token])
            throw new ArgumentException($"token {token} is not allowed in grammar state {state}.");
        var t = Tokens;
        switch (state)
        {
            case GrammarState.Decide:
                planBody = 0;
                if (token == t.Act) return GrammarState.Action;
                return MaxPlanTokens > 0 ? GrammarState.PlanBody : GrammarState.PlanMustClose;
            case GrammarState.PlanBody:
                if (token == t.PlanEnd) return GrammarState.MustAct;
                planBody++;
                return planBody >= MaxPlanTokens ? GrammarState.PlanMustClose : GrammarState.PlanBody;
            case GrammarState.PlanMustClose:
                return GrammarState.MustAct;
            case GrammarState.MustAct:
                return GrammarState.Action;
            case GrammarState.Action:
                return EndWithEos ? GrammarState.MustEos : GrammarState.Done;
            case GrammarState.MustEos:
                return GrammarState.Done;
            default:
                throw new InvalidOperationException($"unknown grammar state {state}");
        }
    }

    /// <summary>
    /// The state before each token of a complete output (the state whose mask that token was drawn
    /// from). Throws <see cref="ArgumentException"/> when the output breaks the grammar or is incomplete.
    /// </summary>
    public GrammarState[] StatesFor(ReadOnlySpan<int> output)
    {
        var states = new GrammarState[output.Length];
        var state = GrammarState.Decide;
        int planBody = 0;
        for (int i = 0; i < output.Length; i++)
        {
            states[i] = state;
            if (state == GrammarState.Done)
                throw new ArgumentException($"output continues after it is complete, at token {i} (id {output[i]}).");
            if (!Allowed[(int)state][output[i]])
                throw new ArgumentException($"output token {i} (id {output[i]}) is not allowed in grammar state {state}.");
            state = Next(state, ref planBody, output[i]);
        }
        if (state != GrammarState.Done)
            throw new ArgumentException($"output of {output.Length} tokens is incomplete (ends in grammar state {state}).");
        return states;
    }

    /// <summary>Tokens of the plan segment, from &lt;plan&gt; through &lt;/plan&gt; inclusive (0 when the output acts directly).</summary>
    public int CountPlanTokens(ReadOnlySpan<int> output)
    {
        if (output.Length == 0 || output[0] != Tokens.Plan) return 0;
        int end = output.IndexOf(Tokens.PlanEnd);
        return end < 0 ? output.Length : end + 1;
    }

    private readonly Dictionary<string, Tensor> maskCache = new();

    /// <summary>The masks as a bool tensor [StateCount, V] on <paramref name="device"/> (cached; do not dispose).</summary>
    public Tensor MaskTable(Device device)
    {
        lock (maskCache)
        {
            var key = device.ToString();
            if (!maskCache.TryGetValue(key, out var table))
            {
                var flat = new bool[StateCount * Tokens.VocabSize];
                for (int s = 0; s < StateCount; s++) Array.Copy(Allowed[s], 0, flat, s * Tokens.VocabSize, Tokens.VocabSize);
                using var cpu = torch.tensor(flat, new long[] { StateCount, Tokens.VocabSize });
                table = cpu.to(device).DetachFromDisposeScope();
                maskCache[key] = table;
            }
            return table;
        }
    }
}
