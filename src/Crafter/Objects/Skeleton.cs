using Rollouts.Crafter.Engine;

namespace Rollouts.Crafter.Objects;

public sealed class Skeleton : GameObject
{
    private Player _player = null!;

    public Skeleton(World world) : base(world, ObjectKind.Skeleton) { }

    public int Reload { get; private set; }

    public override string Texture => "skeleton";

    internal Skeleton Init(int x, int y, Player player)
    {
        Place(x, y);
        _player = player;
        Health = 3;
        Reload = 0;
        return this;
    }

    public override void Update()
    {
        if (Health <= 0) World.Remove(this);
        Reload = Math.Max(0, Reload - 1);
        int dist = Distance(_player);
        if (dist <= 3)
        {
            var (dx, dy) = Toward(_player, Random.NextDouble() < 0.6);
            if (Move(-dx, -dy)) return;
        }
        if (dist <= 5 && Random.NextDouble() < 0.5)
        {
            var (dx, dy) = Toward(_player, true);
            Shoot(dx, dy);
        }
        else if (dist <= 8 && Random.NextDouble() < 0.3)
        {
            var (dx, dy) = Toward(_player, Random.NextDouble() < 0.6);
            Move(dx, dy);
        }
        else if (Random.NextDouble() < 0.2)
        {
            var (dx, dy) = RandomDirection();
            Move(dx, dy);
        }
    }

    private void Shoot(int dx, int dy)
    {
        if (Reload > 0) return;
        if (dx == 0 && dy == 0) return;
        int x = X + dx, y = Y + dy;
        if (IsFree(x, y, Arrow.ArrowWalkable))
        {
            World.Add(World.Pool.RentArrow(World).Init(x, y, dx, dy));
            Reload = 4;
        }
    }
}
