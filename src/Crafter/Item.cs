namespace Rollouts.Crafter;

/// <summary>Inventory slots in Crafter's order (the first four are the vitals).</summary>
public enum Item : byte
{
    Health,
    Food,
    Drink,
    Energy,
    Sapling,
    Wood,
    Stone,
    Coal,
    Iron,
    Diamond,
    WoodPickaxe,
    StonePickaxe,
    IronPickaxe,
    WoodSword,
    StoneSword,
    IronSword,
}
