using Rollouts.Crafter.Engine;

namespace Rollouts.Crafter.Objects;

/// <summary>
/// A thing on the map with a position and health. Each kind's rule lives in its own <see cref="Update"/>,
/// ported statement by statement from Crafter so that the random draws happen in the same order.
/// </summary>
public abstract class GameObject
{
    /// <summary>Materials any creature can walk on (grass, sand, path).</summary>
    protected const int WalkableMask = (1 << (int)Material.Grass) | (1 << (int)Material.Sand) | (1 << (int)Material.Path);

    private int _health;

    protected GameObject(World world, ObjectKind kind)
    {
        World = world;
        Kind = kind;
    }

    public ObjectKind Kind { get; }

    public int X { get; internal set; }

    public int Y { get; internal set; }

    /// <summary>Never below zero, as Crafter's setter clamps it.</summary>
    public virtual int Health
    {
        get => _health;
        set => _health = Math.Max(0, value);
    }

    public bool Removed { get; internal set; }

    internal int Slot { get; set; }

    protected World World { get; }

    protected NumpyRandomState Random => World.Random;

    /// <summary>The texture Crafter draws for this object.</summary>
    public abstract string Texture { get; }

    protected virtual int Walkable => WalkableMask;

    public abstract void Update();

    internal void Place(int x, int y)
    {
        X = x;
        Y = y;
        Removed = false;
    }

    public int Distance(int x, int y) => Math.Abs(x - X) + Math.Abs(y - Y);

    public int Distance(GameObject other) => Distance(other.X, other.Y);

    protected bool IsFree(int x, int y, int walkableMask)
    {
        if (!World.IsInside(x, y)) return false;
        return World.GetObject(x, y) is null && ((walkableMask >> (int)World.GetMaterial(x, y)) & 1) != 0;
    }

    /// <summary>Moves one cell if the target is free; true when it was (even for an object already removed).</summary>
    protected bool Move(int dx, int dy)
    {
        int x = X + dx, y = Y + dy;
        if (!IsFree(x, y, Walkable)) return false;
        World.Move(this, x, y);
        return true;
    }

    /// <summary>Unit step toward a target along the longer axis (or the shorter one), as Crafter's <c>toward</c>.</summary>
    protected (int Dx, int Dy) Toward(GameObject target, bool longAxis)
    {
        int ox = target.X - X, oy = target.Y - Y;
        int ax = Math.Abs(ox), ay = Math.Abs(oy);
        bool alongX = longAxis ? ax > ay : ax <= ay;
        return alongX ? (Math.Sign(ox), 0) : (0, Math.Sign(oy));
    }

    protected (int Dx, int Dy) RandomDirection() => Random.RandInt(4) switch
    {
        0 => (-1, 0),
        1 => (1, 0),
        2 => (0, -1),
        _ => (0, 1),
    };
}
