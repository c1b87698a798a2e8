using Rollouts.Crafter.Objects;

namespace Rollouts.Crafter.Engine;

/// <summary>Reuses removed creatures so that stepping does not allocate once the pools are warm.</summary>
internal sealed class ObjectPool
{
    private readonly Stack<Cow> _cows = new();
    private readonly Stack<Zombie> _zombies = new();
    private readonly Stack<Skeleton> _skeletons = new();
    private readonly Stack<Arrow> _arrows = new();
    private readonly Stack<Plant> _plants = new();

    public Cow RentCow(World world) => _cows.TryPop(out var c) ? c : new Cow(world);

    public Zombie RentZombie(World world) => _zombies.TryPop(out var z) ? z : new Zombie(world);

    public Skeleton RentSkeleton(World world) => _skeletons.TryPop(out var s) ? s : new Skeleton(world);

    public Arrow RentArrow(World world) => _arrows.TryPop(out var a) ? a : new Arrow(world);

    public Plant RentPlant(World world) => _plants.TryPop(out var p) ? p : new Plant(world);

    public void Return(GameObject obj)
    {
        switch (obj)
        {
            case Cow c: _cows.Push(c); break;
            case Zombie z: _zombies.Push(z); break;
            case Skeleton s: _skeletons.Push(s); break;
            case Arrow a: _arrows.Push(a); break;
            case Plant p: _plants.Push(p); break;
        }
    }
}
