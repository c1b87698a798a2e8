namespace Rollouts.Crafter;

/// <summary>Crafter's snake_case names for ids, in the order of <c>data.yaml</c>.</summary>
public static class CrafterNames
{
    public static readonly string[] Materials =
        ["none", "water", "grass", "stone", "path", "sand", "tree", "lava", "coal", "iron", "diamond", "table", "furnace"];

    public static readonly string[] Items =
    [
        "health", "food", "drink", "energy", "sapling", "wood", "stone", "coal", "iron", "diamond",
        "wood_pickaxe", "stone_pickaxe", "iron_pickaxe", "wood_sword", "stone_sword", "iron_sword",
    ];

    public static readonly string[] Achievements =
    [
        "collect_coal", "collect_diamond", "collect_drink", "collect_iron", "collect_sapling", "collect_stone",
        "collect_wood", "defeat_skeleton", "defeat_zombie", "eat_cow", "eat_plant", "make_iron_pickaxe",
        "make_iron_sword", "make_stone_pickaxe", "make_stone_sword", "make_wood_pickaxe", "make_wood_sword",
        "place_furnace", "place_plant", "place_stone", "place_table", "wake_up",
    ];

    public static readonly string[] Actions =
    [
        "noop", "move_left", "move_right", "move_up", "move_down", "do", "sleep", "place_stone", "place_table",
        "place_furnace", "place_plant", "make_wood_pickaxe", "make_stone_pickaxe", "make_iron_pickaxe",
        "make_wood_sword", "make_stone_sword", "make_iron_sword",
    ];

    public static readonly string[] ObjectKinds = ["Player", "Cow", "Zombie", "Skeleton", "Arrow", "Plant", "Fence"];

    public const int ItemCount = 16;
    public const int AchievementCount = 22;
    public const int ActionCount = 17;

    public static string Name(this Material m) => Materials[(int)m];
    public static string Name(this Item i) => Items[(int)i];
    public static string Name(this Achievement a) => Achievements[(int)a];
    public static string Name(this CrafterAction a) => Actions[(int)a];
}
