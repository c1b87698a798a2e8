namespace Rollouts.Crafter;

/// <summary>Crafter's 17 actions; the numeric value is the action id.</summary>
public enum CrafterAction : byte
{
    Noop,
    MoveLeft,
    MoveRight,
    MoveUp,
    MoveDown,
    Do,
    Sleep,
    PlaceStone,
    PlaceTable,
    PlaceFurnace,
    PlacePlant,
    MakeWoodPickaxe,
    MakeStonePickaxe,
    MakeIronPickaxe,
    MakeWoodSword,
    MakeStoneSword,
    MakeIronSword,
}
