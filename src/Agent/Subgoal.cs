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

    /// <summary>The phrase of each subgoal, index = enum value; each word is in the <see cref="Vocabulary"/>.</summary>
    public static readonly IReadOnlyList<string> Phrases =
    [
        "collect coal", "collect diamond", "collect drink", "collect iron", "collect sapling", "collect stone",
        "collect wood", "defeat skeleton", "defeat zombie", "eat cow", "eat plant", "make iron pickaxe",
        "make iron sword", "make stone pickaxe", "make stone sword", "make wood pickaxe", "make wood sword",
        "place furnace", "place plant", "place stone", "place table", "wake up",
        "drink water", "eat food", "find cow", "sleep", "find tree", "find stone", "find water", "find coal",
        "find iron", "find diamond", "avoid zombie", "avoid skeleton", "build shelter", "explore",
    ];

    private static readonly int[][] TokenIds = Phrases.Select(p => Vocabulary.Encode(p)).ToArray();

    public static string Phrase(this Subgoal goal) => Phrases[(int)goal];

    public static ReadOnlySpan<int> Tokens(this Subgoal goal) => TokenIds[(int)goal];

    public static bool IsAchievement(this Subgoal goal) => (int)goal < CrafterNames.AchievementCount;

    public static Achievement AsAchievement(this Subgoal goal) => goal.IsAchievement()
        ? (Achievement)(int)goal
        : throw new ArgumentException($"'{goal.Phrase()}' is not an achievement.", nameof(goal));

    public static Subgoal FromAchievement(Achievement achievement) => (Subgoal)(int)achievement;

    /// <summary>All phrases, comma-separated, for error messages.</summary>
    public static string AllowedList => string.Join(", ", Phrases);

    /// <summary>
    /// Writes <c>&lt;plan&gt; a ; b ; … &lt;/plan&gt;</c> into <paramref name="destination"/>; returns the count.
    /// </summary>
    public static int WritePlanTokens(IReadOnlyList<Subgoal> plan, Span<int> destination)
    {
        int n = 0;
        destination[n++] = Vocabulary.Plan;
        for (int i = 0; i < plan.Count; i++)
        {
            if (i > 0) destination[n++] = Vocabulary.Separator;
            var words = plan[i].Tokens();
            words.CopyTo(destination[n..]);
            n += words.Length;
        }
        destination[n++] = Vocabulary.PlanEnd;
        return n;
    }

    public static int PlanTokenCount(IReadOnlyList<Subgoal> plan)
    {
        int n = 2 + Math.Max(0, plan.Count - 1);
        foreach (var g in plan) n += TokenIds[(int)g].Length;
        return n;
    }

    public static int[] PlanTokens(IReadOnlyList<Subgoal> plan)
    {
        var ids = new int[PlanTokenCount(plan)];
        WritePlanTokens(plan, ids);
        return ids;
    }

    private static readonly Dictionary<string, Subgoal> ByTokenKey =
        Enum.GetValues<Subgoal>().ToDictionary(g => string.Join(',', TokenIds[(int)g].AsEnumerable()), g => g);

    /// <summary>
    /// Reads the words between <c>&lt;plan&gt;</c> and <c>&lt;/plan&gt;</c>: subgoals separated by <c>;</c>. Segments that are
    /// no subgoal are skipped; returns false when there were any (or none parsed).
    /// </summary>
    public static bool TryReadPlan(ReadOnlySpan<int> words, out Subgoal[] plan)
    {
        var result = new List<Subgoal>();
        bool valid = true;
        int start = 0;
        for (int i = 0; i <= words.Length; i++)
        {
            if (i < words.Length && words[i] != Vocabulary.Separator) continue;
            string key = string.Join(',', words[start..i].ToArray());
            if (ByTokenKey.TryGetValue(key, out var goal)) result.Add(goal);
            else valid = false;
            start = i + 1;
        }
        plan = [.. result];
        return valid && plan.Length > 0;
    }

    /// <summary>Reads <c>&lt;plan&gt; … &lt;/plan&gt;</c> tokens back into subgoals (the inverse of <see cref="PlanTokens"/>).</summary>
    public static Subgoal[] FromPlanTokens(ReadOnlySpan<int> ids)
    {
        if (ids.Length < 2 || ids[0] != Vocabulary.Plan || ids[^1] != Vocabulary.PlanEnd)
            throw new PlanParseException("Plan tokens must start with <plan> and end with </plan>.");
        return PlanParser.Parse(Vocabulary.Decode(ids[1..^1]).Replace(" ;", ",")).ToArray();
    }
}
