using Rollouts.Crafter.Engine;

namespace Rollouts.Crafter.Objects;

public sealed class Cow : GameObject
{
    public Cow(World world) : base(world, ObjectKind.Cow) { }

    public override string Texture => "cow";

    internal Cow Init(int x, int y)
    {
        Place(x, y);
        Health = 3;
        return this;
    }

    public override void Update()
    {
        if (Health <= 0) World.Remove(this);
        // A dead cow still draws for its move, as in the reference.
        if (Random.NextDouble() < 0.5)
        {
            var (dx, dy) = RandomDirection();
            Move(dx, dy);
        }
    }
}
