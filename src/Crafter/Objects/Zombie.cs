using Rollouts.Crafter.Engine;

namespace Rollouts.Crafter.Objects;

public sealed class Zombie : GameObject
{
    private Player _player = null!;

    public Zombie(World world) : base(world, ObjectKind.Zombie) { }

    public int Cooldown { get; private set; }

    public override string Texture => "zombie";

    internal Zombie Init(int x, int y, Player player)
    {
        Place(x, y);
        _player = player;
        Health = 5;
        Cooldown = 0;
        return this;
    }

    public override void Update()
    {
        if (Health <= 0) World.Remove(this);
        int dist = Distance(_player);
        if (dist <= 8 && Random.NextDouble() < 0.9)
        {
            var (dx, dy) = Toward(_player, Random.NextDouble() < 0.8);
            Move(dx, dy);
        }
        else
        {
            var (dx, dy) = RandomDirection();
            Move(dx, dy);
        }
        dist = Distance(_player);
        if (dist <= 1)
        {
            if (Cooldown > 0)
            {
                Cooldown--;
            }
            else
            {
                _player.Health -= _player.Sleeping ? 7 : 2;
                Cooldown = 5;
            }
        }
    }
}
