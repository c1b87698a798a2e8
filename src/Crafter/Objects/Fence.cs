using Rollouts.Crafter.Engine;

namespace Rollouts.Crafter.Objects;

/// <summary>Exists in Crafter's object set, but no default action creates one.</summary>
public sealed class Fence : GameObject
{
    public Fence(World world) : base(world, ObjectKind.Fence) { }

    public override string Texture => "fence";

    public override void Update() { }
}
