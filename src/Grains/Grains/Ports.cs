namespace Rollouts.Grains;

/// <summary>
/// The policy the inference grain holds: prompts in, plan-or-act outputs out (one per prompt, in order).
/// Called from one thread at a time (the inference grain's batch runner).
/// </summary>
public interface IDecisionPolicy : IDisposable
{
    /// <summary>The version of the weights in use (0 = initial weights, before any publication).</summary>
    int Version { get; }

    PolicyOutput[] DecideBatch(IReadOnlyList<int[]> prompts);

    /// <summary>Replaces the weights with a published blob (what <c>ILearnerAlgorithm.ExportWeights</c> wrote).</summary>
    void LoadWeights(byte[] weights, int version);
}

/// <summary>Makes the policy of an experiment (from its config) on an inference silo.</summary>
public interface IDecisionPolicyFactory
{
    IDecisionPolicy Create(Rollouts.Config.RolloutsConfig config);
}

/// <summary>Where published weights live: a folder (embedded, one machine) or Azure Blob storage (cluster).</summary>
public interface IWeightStore
{
    /// <summary>Stores the blob of version <paramref name="version"/>; returns its location (path or URI).</summary>
    Task<string> SaveAsync(string experimentId, int version, byte[] weights, CancellationToken cancellationToken = default);

    Task<byte[]> LoadAsync(string location, CancellationToken cancellationToken = default);
}

/// <summary>The roles of the silo this process runs (registered by the silo host).</summary>
public sealed class SiloRoles
{
    public const string All = "all", Rollout = "rollout", Inference = "inference", Learner = "learner";
    public static readonly IReadOnlyList<string> Known = [All, Rollout, Inference, Learner];
    public const string MetadataKey = "rollouts.roles";

    public SiloRoles(IEnumerable<string> roles)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string raw in roles)
        {
            string role = raw.Trim().ToLowerInvariant();
            if (role.Length == 0) continue;
            if (!Known.Contains(role))
                throw new ArgumentException($"unknown role '{raw}' (known roles: {string.Join(", ", Known)})");
            if (role == All) { set.Add(Rollout); set.Add(Inference); set.Add(Learner); }
            else set.Add(role);
        }
        if (set.Count == 0) throw new ArgumentException($"no role given (known roles: {string.Join(", ", Known)})");
        Roles = set;
    }

    public IReadOnlySet<string> Roles { get; }

    public bool Has(string role) => Roles.Contains(role);

    /// <summary>"inference,learner,rollout": what the silo's metadata carries.</summary>
    public override string ToString() => string.Join(",", Roles);

    public static SiloRoles Parse(string commaSeparated) => new(commaSeparated.Split(',', StringSplitOptions.RemoveEmptyEntries));
}
