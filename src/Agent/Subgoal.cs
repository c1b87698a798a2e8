using Rollouts.Crafter;

namespace Rollouts.Agent;

/// <summary>
/// What a plan is made of: the 22 achievements as verb phrases (same order and values as
/// <see cref="Achievement"/>), then survival and movement goals.
/// </summary>
public enum Subgoal : byte
{
    CollectCoal, CollectDiamond, CollectDrink, CollectIron, CollectSapling, CollectStone, CollectWood,
    DefeatSkeleton, DefeatZombie, EatCow, EatPlant, MakeIronPickaxe, MakeIronSword, MakeStonePickaxe,
    MakeStoneSword, MakeWoodPickaxe, MakeWoodSword, PlaceFurnace, PlacePlant, PlaceStone, PlaceTable, WakeUp,

    DrinkWater, EatFood, FindCow, Sleep, FindTree, FindStone, FindWater, FindCoal, FindIron, FindDiamond,
    AvoidZombie, AvoidSkeleton, BuildShelter, Explore,
}

public static class Subgoals
{
    public const int Count = 36;

    /// <summary>The phrase of each subgoal, index = enum value (what a person types; its words joined by <c>_</c> are its token).</summary>
    public static readonly IReadOnlyList<string> Phrases =
    [
        "collect coal", "collect diamond", "collect drink", "collect iron", "collect sapling", "collect stone",
        "collect wood", "defeat skeleton", "defeat zombie", "eat cow", "eat plant", "make iron pickaxe",
        "make iron sword", "make stone pickaxe", "make stone sword", "make wood pickaxe", "make wood sword",
        "place furnace", "place plant", "place stone", "place table", "wake up",
        "drink water", "eat food", "find cow", "sleep", "find tree", "find stone", "find water", "find coal",
        "find iron", "find diamond", "avoid zombie", "avoid skeleton", "build shelter", "explore",
    ];

    /// <summary>Each subgoal's one token: its phrase joined by <c>_</c> (an action's token where the names agree).</summary>
    private static readonly int[] TokenIds = Phrases.Select(p => Vocabulary.Id(p.Replace(' ', '_'))).ToArray();

    /// <summary>The subgoal of each token id, or -1 (the inverse of <see cref="TokenIds"/>).</summary>
    private static readonly int[] ByToken = BuildByToken();

    private static int[] BuildByToken()
    {
        var byToken = new int[Vocabulary.Size];
        Array.Fill(byToken, -1);
        for (int g = 0; g < TokenIds.Length; g++) byToken[TokenIds[g]] = g;
        return byToken;
    }

    public static string Phrase(this Subgoal goal) => Phrases[(int)goal];

    /// <summary>The subgoal's token id (one word per subgoal, e.g. <c>make_stone_pickaxe</c>).</summary>
    public static int Token(this Subgoal goal) => TokenIds[(int)goal];

    /// <summary>Every subgoal's token id, in <see cref="Subgoal"/> order.</summary>
    public static IReadOnlyList<int> AllTokens => TokenIds;

    /// <summary>The subgoal a token names; false for a token that names none.</summary>
    public static bool TryFromToken(int id, out Subgoal goal)
    {
        int g = (uint)id < (uint)ByToken.Length ? ByToken[id] : -1;
        goal = (Subgoal)Math.Max(g, 0);
        return g >= 0;
    }

    public static bool IsAchievement(this Subgoal goal) => (int)goal < CrafterNames.AchievementCount;

    public static Achievement AsAchievement(this Subgoal goal) => goal.IsAchievement()
        ? (Achievement)(int)goal
        : throw new ArgumentException($"'{goal.Phrase()}' is not an achievement.", nameof(goal));

    public static Subgoal FromAchievement(Achievement achievement) => (Subgoal)(int)achievement;

    /// <summary>All phrases, comma-separated, for error messages.</summary>
    public static string AllowedList => string.Join(", ", Phrases);

    /// <summary>
    /// Writes <c>&lt;plan&gt; a b … &lt;/plan&gt;</c>, one token per subgoal (the first <paramref name="maxSubgoals"/> of them),
    /// into <paramref name="destination"/>; returns the count. Allocation-free.
    /// </summary>
    public static int WritePlanTokens(IReadOnlyList<Subgoal> plan, Span<int> destination, int maxSubgoals = int.MaxValue)
    {
        int n = 0;
        destination[n++] = Vocabulary.Plan;
        int count = Math.Min(plan.Count, maxSubgoals);
        for (int i = 0; i < count; i++) destination[n++] = plan[i].Token();
        destination[n++] = Vocabulary.PlanEnd;
        return n;
    }

    public static int PlanTokenCount(IReadOnlyList<Subgoal> plan) => plan.Count + 2;

    public static int[] PlanTokens(IReadOnlyList<Subgoal> plan)
    {
        var ids = new int[PlanTokenCount(plan)];
        WritePlanTokens(plan, ids);
        return ids;
    }

    /// <summary>
    /// Reads the tokens between <c>&lt;plan&gt;</c> and <c>&lt;/plan&gt;</c>, one subgoal each. Tokens that name no subgoal
    /// are skipped; returns false when there were any (or none parsed).
    /// </summary>
    public static bool TryReadPlan(ReadOnlySpan<int> words, out Subgoal[] plan)
    {
        var result = new List<Subgoal>(words.Length);
        bool valid = true;
        foreach (int id in words)
        {
            if (TryFromToken(id, out var goal)) result.Add(goal);
            else valid = false;
        }
        plan = [.. result];
        return valid && plan.Length > 0;
    }

    /// <summary>Reads <c>&lt;plan&gt; … &lt;/plan&gt;</c> tokens back into subgoals (the inverse of <see cref="PlanTokens"/>).</summary>
    public static Subgoal[] FromPlanTokens(ReadOnlySpan<int> ids)
    {
        if (ids.Length < 2 || ids[0] != Vocabulary.Plan || ids[^1] != Vocabulary.PlanEnd)
            throw new PlanParseException("Plan tokens must start with <plan> and end with </plan>.");
        if (ids.Length == 2) throw new PlanParseException($"The plan is empty. Allowed subgoals: {AllowedList}.");
        var plan = new Subgoal[ids.Length - 2];
        for (int i = 1; i < ids.Length - 1; i++)
            if (!TryFromToken(ids[i], out plan[i - 1]))
                throw new PlanParseException($"Token '{Vocabulary.Word(ids[i])}' at position {i} of the plan is no subgoal. Allowed subgoals: {AllowedList}.");
        return plan;
    }
}
