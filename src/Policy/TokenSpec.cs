namespace Rollouts.Policy;

/// <summary>
/// The token ids the policy needs to know about, independent of how the vocabulary is built
/// (Rollouts.Agent owns the vocabulary; it fills this record in).
/// </summary>
/// <param name="VocabSize">Number of token ids; every id is in [0, VocabSize).</param>
/// <param name="Pad">&lt;pad&gt;: fills batches; never generated.</param>
/// <param name="Plan">&lt;plan&gt;: first output token when the agent decides to plan.</param>
/// <param name="PlanEnd">&lt;/plan&gt;: closes a plan.</param>
/// <param name="Act">&lt;act&gt;: precedes the action token.</param>
/// <param name="Eos">&lt;eos&gt;: optional final token (see <see cref="OutputGrammar.EndWithEos"/>).</param>
/// <param name="ActionIds">The action tokens (the 17 Crafter actions); exactly one follows &lt;act&gt;.</param>
/// <param name="PlanWordIds">Tokens allowed inside a plan (the agent's vocabulary: one per subgoal); &lt;/plan&gt; is added by the grammar. May share ids with <paramref name="ActionIds"/> (the agent's vocabulary uses one token, e.g. <c>place_table</c>, for the action and the subgoal): the grammar state decides which role a token plays.</param>
public sealed record TokenSpec(
    int VocabSize,
    int Pad,
    int Plan,
    int PlanEnd,
    int Act,
    int Eos,
    IReadOnlyList<int> ActionIds,
    IReadOnlyList<int> PlanWordIds)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent field.</summary>
    public TokenSpec Validate()
    {
        if (VocabSize < 2) throw new ArgumentException($"TokenSpec.VocabSize must be at least 2, got {VocabSize}.");
        var specials = new (string Name, int Id)[]
        {
            (nameof(Pad), Pad), (nameof(Plan), Plan), (nameof(PlanEnd), PlanEnd),
            (nameof(Act), Act), (nameof(Eos), Eos),
        };
        foreach (var (name, id) in specials)
            CheckId($"TokenSpec.{name}", id);
        for (int i = 0; i < specials.Length; i++)
            for (int j = i + 1; j < specials.Length; j++)
                if (specials[i].Id == specials[j].Id)
                    throw new ArgumentException($"TokenSpec.{specials[i].Name} and TokenSpec.{specials[j].Name} have the same id {specials[i].Id}.");
        if (ActionIds is null || ActionIds.Count == 0) throw new ArgumentException("TokenSpec.ActionIds must name at least one action token.");
        if (PlanWordIds is null) throw new ArgumentException("TokenSpec.PlanWordIds must not be null (it may be empty).");
        var specialSet = specials.Select(s => s.Id).ToHashSet();
        var actions = new HashSet<int>();
        foreach (var id in ActionIds)
        {
            CheckId("TokenSpec.ActionIds", id);
            if (specialSet.Contains(id)) throw new ArgumentException($"TokenSpec.ActionIds contains the special token id {id}.");
            if (!actions.Add(id)) throw new ArgumentException($"TokenSpec.ActionIds lists id {id} twice.");
        }
        foreach (var id in PlanWordIds)
        {
            CheckId("TokenSpec.PlanWordIds", id);
            if (specialSet.Contains(id)) throw new ArgumentException($"TokenSpec.PlanWordIds contains the special token id {id}.");
        }
        return this;
    }

    private void CheckId(string field, int id)
    {
        if (id < 0 || id >= VocabSize)
            throw new ArgumentException($"{field}: id {id} is outside the vocabulary [0, {VocabSize}).");
    }
}
