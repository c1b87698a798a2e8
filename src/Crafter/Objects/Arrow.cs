using Rollouts.Crafter.Engine;

namespace Rollouts.Crafter.Objects;

public sealed class Arrow : GameObject
{
    /// <summary>Arrows also fly over water and lava.</summary>
    internal const int ArrowWalkable = WalkableMask | (1 << (int)Material.Water) | (1 << (int)Material.Lava);

    public Arrow(World world) : base(world, ObjectKind.Arrow) { }

    public int FacingX { get; private set; }

    public int FacingY { get; private set; }

    public override string Texture => (FacingX, FacingY) switch
    {
        (-1, 0) => "arrow-left",
        (1, 0) => "arrow-right",
        (0, -1) => "arrow-up",
        _ => "arrow-down",
    };

    protected override int Walkable => ArrowWalkable;

    internal Arrow Init(int x, int y, int facingX, int facingY)
    {
        Place(x, y);
        Health = 0;
        FacingX = facingX;
        FacingY = facingY;
        return this;
    }

    public override void Update()
    {
        int x = X + FacingX, y = Y + FacingY;
        var material = World.GetMaterial(x, y);
        var obj = World.GetObject(x, y);
        if (obj is not null)
        {
            obj.Health -= 2;
            World.Remove(this);
        }
        else if (((ArrowWalkable >> (int)material) & 1) == 0 || material == Material.None)
        {
            World.Remove(this);
            if (material is Material.Table or Material.Furnace) World.SetMaterial(x, y, Material.Path);
        }
        else
        {
            Move(FacingX, FacingY);
        }
    }
}
