using Orleans.Hosting;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Rollouts.Grains;

/// <summary>
/// Places a grain on a silo with a given role (from the silo's metadata, key <see cref="SiloRoles.MetadataKey"/>).
/// <see cref="PreferLocal"/>: the calling silo when it has the role (an environment next to its actor); otherwise the
/// grain key's index ("{experiment}/{i}") picks among the role's silos in address order (actors spread over the rollout
/// silos, inference replica r on the r-th inference silo).
/// </summary>
public abstract class RolePlacementStrategy : PlacementStrategy
{
    public abstract string Role { get; }
    public abstract bool PreferLocal { get; }
}

[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class RolloutPlacementStrategy : RolePlacementStrategy
{
    public static readonly RolloutPlacementStrategy Instance = new();
    public override string Role => SiloRoles.Rollout;
    public override bool PreferLocal => false;
}

[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class RolloutLocalPlacementStrategy : RolePlacementStrategy
{
    public static readonly RolloutLocalPlacementStrategy Instance = new();
    public override string Role => SiloRoles.Rollout;
    public override bool PreferLocal => true;
}

[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class InferencePlacementStrategy : RolePlacementStrategy
{
    public static readonly InferencePlacementStrategy Instance = new();
    public override string Role => SiloRoles.Inference;
    public override bool PreferLocal => false;
}

[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class LearnerPlacementStrategy : RolePlacementStrategy
{
    public static readonly LearnerPlacementStrategy Instance = new();
    public override string Role => SiloRoles.Learner;
    public override bool PreferLocal => true;
}

[AttributeUsage(AttributeTargets.Class)]
public sealed class RolloutPlacementAttribute() : PlacementAttribute(RolloutPlacementStrategy.Instance);

[AttributeUsage(AttributeTargets.Class)]
public sealed class RolloutLocalPlacementAttribute() : PlacementAttribute(RolloutLocalPlacementStrategy.Instance);

[AttributeUsage(AttributeTargets.Class)]
public sealed class InferencePlacementAttribute() : PlacementAttribute(InferencePlacementStrategy.Instance);

[AttributeUsage(AttributeTargets.Class)]
public sealed class LearnerPlacementAttribute() : PlacementAttribute(LearnerPlacementStrategy.Instance);

public sealed class RolePlacementDirector(ISiloMetadataCache metadata) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var roleStrategy = (RolePlacementStrategy)strategy;
        string role = roleStrategy.Role;
        var compatible = context.GetCompatibleSilos(target);
        var withRole = new List<SiloAddress>();
        var unknown = new List<SiloAddress>();
        foreach (var silo in compatible)
        {
            var roles = RolesOf(silo);
            if (roles is null) unknown.Add(silo);
            else if (roles.Contains(role)) withRole.Add(silo);
        }
        // Metadata not yet known for some silo (it is joining): fall back to those rather than fail.
        if (withRole.Count == 0) withRole = unknown;
        if (withRole.Count == 0)
            throw new OrleansException($"No silo with the '{role}' role is in the cluster (grain {target.GrainIdentity}). Start one with 'rollouts silo --role {role}'.");

        if (roleStrategy.PreferLocal && withRole.Contains(context.LocalSilo)) return Task.FromResult(context.LocalSilo);
        withRole.Sort((a, b) => string.CompareOrdinal(a.ToParsableString(), b.ToParsableString()));
        string key = target.GrainIdentity.Key.ToString() ?? "";
        int index = KeyIndex(key);
        return Task.FromResult(withRole[(int)((uint)index % (uint)withRole.Count)]);
    }

    private HashSet<string>? RolesOf(SiloAddress silo)
    {
        var md = metadata.GetSiloMetadata(silo);
        if (md?.Metadata is null || !md.Metadata.TryGetValue(SiloRoles.MetadataKey, out string? value)) return null;
        return new HashSet<string>(value.Split(',', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
    }

    /// <summary>The index after the last '/' of "{experiment}/{i}" keys, else a stable hash of the key.</summary>
    internal static int KeyIndex(string key)
    {
        int slash = key.LastIndexOf('/');
        if (slash >= 0 && int.TryParse(key.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i)) return i;
        uint h = 2166136261;
        foreach (char c in key) h = (h ^ c) * 16777619;
        return (int)(h & 0x7fffffff);
    }
}

public static class RolePlacementExtensions
{
    /// <summary>Role-based placement for the grains (environment, actor, inference, learner).</summary>
    public static ISiloBuilder AddRolePlacement(this ISiloBuilder silo)
    {
        silo.AddPlacementDirector<RolloutPlacementStrategy, RolePlacementDirector>();
        silo.AddPlacementDirector<RolloutLocalPlacementStrategy, RolePlacementDirector>();
        silo.AddPlacementDirector<InferencePlacementStrategy, RolePlacementDirector>();
        silo.AddPlacementDirector<LearnerPlacementStrategy, RolePlacementDirector>();
        return silo;
    }
}
