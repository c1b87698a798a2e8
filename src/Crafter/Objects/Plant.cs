using Rollouts.Crafter.Engine;

namespace Rollouts.Crafter.Objects;

public sealed class Plant : GameObject
{
    public Plant(World world) : base(world, ObjectKind.Plant) { }

    public int Grown { get; internal set; }

    public bool IsRipe => Grown > 300;

    public override string Texture => IsRipe ? "plant-ripe" : "plant";

    internal Plant Init(int x, int y)
    {
        Place(x, y);
        Health = 1;
        Grown = 0;
        return this;
    }

    public override void Update()
    {
        Grown++;
        if (IsGrazer(World.GetObject(X - 1, Y)) || IsGrazer(World.GetObject(X + 1, Y))
            || IsGrazer(World.GetObject(X, Y - 1)) || IsGrazer(World.GetObject(X, Y + 1)))
            Health -= 1;
        if (Health <= 0) World.Remove(this);
    }

    private static bool IsGrazer(GameObject? obj) => obj is Zombie or Skeleton or Cow;
}
