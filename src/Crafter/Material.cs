namespace Rollouts.Crafter;

/// <summary>Material ids as Crafter numbers them (0 = none, then <c>data.yaml</c>'s order).</summary>
public enum Material : byte
{
    None = 0,
    Water,
    Grass,
    Stone,
    Path,
    Sand,
    Tree,
    Lava,
    Coal,
    Iron,
    Diamond,
    Table,
    Furnace,
}
