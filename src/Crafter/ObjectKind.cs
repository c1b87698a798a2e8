namespace Rollouts.Crafter;

/// <summary>Kinds of world objects, numbered as the reference traces number them.</summary>
public enum ObjectKind : byte
{
    Player,
    Cow,
    Zombie,
    Skeleton,
    Arrow,
    Plant,
    Fence,
}
