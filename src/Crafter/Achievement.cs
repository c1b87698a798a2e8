namespace Rollouts.Crafter;

/// <summary>The 22 achievements in Crafter's order.</summary>
public enum Achievement : byte
{
    CollectCoal,
    CollectDiamond,
    CollectDrink,
    CollectIron,
    CollectSapling,
    CollectStone,
    CollectWood,
    DefeatSkeleton,
    DefeatZombie,
    EatCow,
    EatPlant,
    MakeIronPickaxe,
    MakeIronSword,
    MakeStonePickaxe,
    MakeStoneSword,
    MakeWoodPickaxe,
    MakeWoodSword,
    PlaceFurnace,
    PlacePlant,
    PlaceStone,
    PlaceTable,
    WakeUp,
}
