using System.Collections.Frozen;
using Rollouts.Crafter;

namespace Rollouts.Agent;

/// <summary>Thrown when text holds a word outside the closed vocabulary, or an id outside its range.</summary>
public sealed class UnknownTokenException(string message) : Exception(message);

/// <summary>
/// The closed word-level vocabulary the agent reads and writes. Ids are stable: they are the index in
/// <see cref="Words"/>, which is laid out in blocks and only ever appended to.
/// <list type="bullet">
/// <item>0..7: specials <c>&lt;pad&gt; &lt;bos&gt; &lt;obs&gt; &lt;/obs&gt; &lt;plan&gt; &lt;/plan&gt; &lt;act&gt; &lt;eos&gt;</c></item>
/// <item>8..24: the 17 Crafter actions in action-id order (<c>noop</c> .. <c>make_iron_sword</c>): id = 8 + action.</item>
/// <item>25..34: the numbers <c>0</c>..<c>9</c>: id = 25 + n.</item>
/// <item>then age buckets, directions, materials and creatures, items, observation words, subgoal words, and the
/// <c>kind@direction</c> words of <c>see</c> entries.</item>
/// </list>
/// Each subgoal is one word (<see cref="Subgoals.Token"/>): its phrase joined by <c>_</c>, Crafter's achievement names.
/// The eleven that name an action too (<c>place_table</c>, <c>make_wood_pickaxe</c>, <c>sleep</c>, …) share its token;
/// the grammar state (inside a plan or after <c>&lt;act&gt;</c>) and the prompt section say which role it plays.
/// Since 2026-12-08: before, a subgoal was its phrase's words (<c>make stone pickaxe</c>), subgoals in a plan and the
/// prompt's sections were separated by <c>;</c>, and a 5-subgoal plan took 18 tokens instead of 7 (docs/experiments.md).
/// </summary>
public static class Vocabulary
{
    public const int Pad = 0, Bos = 1, Obs = 2, ObsEnd = 3, Plan = 4, PlanEnd = 5, Act = 6, Eos = 7;
    public const int FirstAction = 8;
    public const int FirstNumber = FirstAction + CrafterNames.ActionCount; // 25

    private static readonly string[] Specials = ["<pad>", "<bos>", "<obs>", "</obs>", "<plan>", "</plan>", "<act>", "<eos>"];
    private static readonly string[] Numbers = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Age buckets beyond the single numbers 0..3 (see <see cref="AgeToken"/>).</summary>
    private static readonly string[] AgeBuckets = ["4-7", "8-15", "16-31", "32-63", "64+"];

    private static readonly string[] Directions = ["north", "south", "west", "east", "north-west", "north-east", "south-west", "south-east"];

    private static readonly string[] Things =
    [
        // materials (Crafter's names, "none" read as "nothing")
        "water", "grass", "stone", "path", "sand", "tree", "lava", "coal", "iron", "diamond", "table", "furnace",
        // creatures and objects
        "cow", "zombie", "skeleton", "arrow", "plant", "ripe_plant",
        // items that are not materials
        "sapling", "wood", "wood_pickaxe", "stone_pickaxe", "iron_pickaxe", "wood_sword", "stone_sword", "iron_sword",
    ];

    private static readonly string[] ObservationWords =
    [
        "health", "food", "drink", "energy", "day", "night", "awake", "sleeping", "see", "nothing", "face",
        "inventory", "plan", "none", "age", "last",
    ];

    /// <summary>The subgoal words that are not also action words (<see cref="Subgoals.Phrases"/> joined by <c>_</c>).</summary>
    private static readonly string[] SubgoalWords =
    [
        "collect_coal", "collect_diamond", "collect_drink", "collect_iron", "collect_sapling", "collect_stone",
        "collect_wood", "defeat_skeleton", "defeat_zombie", "eat_cow", "eat_plant", "wake_up",
        "drink_water", "eat_food", "find_cow", "find_tree", "find_stone", "find_water", "find_coal", "find_iron",
        "find_diamond", "avoid_zombie", "avoid_skeleton", "build_shelter", "explore",
    ];

    /// <summary>Kinds a <c>see</c> entry names (materials, creatures, plants): the first 18 of <see cref="Things"/>.</summary>
    public const int SeenKindCount = 18;

    /// <summary>Every word, index = token id.</summary>
    public static readonly IReadOnlyList<string> Words = BuildWords();

    private static readonly FrozenDictionary<string, int> Ids =
        Words.Select((w, i) => (w, i)).ToFrozenDictionary(p => p.w, p => p.i, StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> SpanIds =
        Ids.GetAlternateLookup<ReadOnlySpan<char>>();

    public static int Size => Words.Count;

    public static readonly int FirstAgeBucket = Id("4-7");

    /// <summary>The first <c>kind@direction</c> word (<c>water@north</c>); id = first + kind * 8 + direction.</summary>
    public static readonly int FirstSeen = Id("water@north");

    /// <summary>The <c>kind@direction</c> token of kind index 0..17 (water .. ripe_plant) and direction 0..7 (north .. south-east).</summary>
    public static int SeenToken(int kind, int direction) => FirstSeen + kind * Directions.Length + direction;

    private static string[] BuildWords()
    {
        var words = new List<string>();
        words.AddRange(Specials);
        words.AddRange(CrafterNames.Actions);
        words.AddRange(Numbers);
        words.AddRange(AgeBuckets);
        words.AddRange(Directions);
        words.AddRange(Things);
        words.AddRange(ObservationWords);
        words.AddRange(SubgoalWords);
        // "kind@direction": a see entry's kind and direction in one token, so that "where is the tree" is one lookup.
        for (int k = 0; k < SeenKindCount; k++)
            foreach (string d in Directions) words.Add(Things[k] + "@" + d);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string w in words)
            if (!seen.Add(w)) throw new InvalidOperationException($"Vocabulary word '{w}' appears twice.");
        return [.. words];
    }

    /// <summary>The id of one word; an <see cref="UnknownTokenException"/> naming it when it is not in the vocabulary.</summary>
    public static int Id(string word) => Id(word.AsSpan());

    public static int Id(ReadOnlySpan<char> word)
    {
        if (SpanIds.TryGetValue(word, out int id)) return id;
        throw new UnknownTokenException($"Unknown word '{word}': it is not in the agent's vocabulary ({Size} words).");
    }

    public static bool TryGetId(ReadOnlySpan<char> word, out int id) => SpanIds.TryGetValue(word, out id);

    public static string Word(int id)
    {
        if ((uint)id >= (uint)Words.Count) throw new UnknownTokenException($"Token id {id} is outside the vocabulary (0..{Words.Count - 1}).");
        return Words[id];
    }

    public static int ActionToken(CrafterAction action) => FirstAction + (int)action;

    public static bool IsAction(int id) => id >= FirstAction && id < FirstAction + CrafterNames.ActionCount;

    public static CrafterAction TokenToAction(int id) => IsAction(id)
        ? (CrafterAction)(id - FirstAction)
        : throw new UnknownTokenException($"Token '{Word(id)}' ({id}) is not an action.");

    public static int NumberToken(int n) => (uint)n <= 9 ? FirstNumber + n : throw new ArgumentOutOfRangeException(nameof(n), n, "Numbers are 0..9.");

    /// <summary>Steps since something happened, bucketed: 0, 1, 2, 3, 4-7, 8-15, 16-31, 32-63, 64+.</summary>
    public static int AgeToken(int steps)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps));
        if (steps <= 3) return FirstNumber + steps;
        if (steps < 8) return FirstAgeBucket;
        if (steps < 16) return FirstAgeBucket + 1;
        if (steps < 32) return FirstAgeBucket + 2;
        if (steps < 64) return FirstAgeBucket + 3;
        return FirstAgeBucket + 4;
    }

    /// <summary>
    /// Splits text on whitespace and writes one id per word into <paramref name="destination"/>; returns the count.
    /// Allocation-free. Throws <see cref="UnknownTokenException"/> naming an unknown word, or
    /// <see cref="ArgumentException"/> when the destination is too small.
    /// </summary>
    public static int Encode(ReadOnlySpan<char> text, Span<int> destination)
    {
        int n = 0;
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            int start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i])) i++;
            if (i == start) break;
            if (n >= destination.Length) throw new ArgumentException($"The destination holds {destination.Length} tokens; the text has more.", nameof(destination));
            destination[n++] = Id(text[start..i]);
        }
        return n;
    }

    public static int[] Encode(string text)
    {
        var buffer = new int[text.Length / 2 + 1];
        int n = Encode(text, buffer);
        return buffer[..n];
    }

    /// <summary>Words joined by single spaces.</summary>
    public static string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new System.Text.StringBuilder(ids.Length * 6);
        for (int i = 0; i < ids.Length; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(Word(ids[i]));
        }
        return sb.ToString();
    }

    /// <summary>A table of every id and word, for documentation (<c>id word</c> per line).</summary>
    public static string Describe() => string.Join('\n', Words.Select((w, i) => $"{i} {w}"));
}
