using System.Net;
using Rollouts.Grains;

namespace Rollouts.Silo;

/// <summary>How a silo (or a client) finds the cluster and where it keeps state. Defaults: one machine, in memory.</summary>
public sealed record SiloSettings
{
    public SiloRoles Roles { get; init; } = new([SiloRoles.All]);
    public string ClusterId { get; init; } = "rollouts";
    public string ServiceId { get; init; } = "rollouts";
    /// <summary>Silo-to-silo port (localhost clustering: the first silo's port is the primary's).</summary>
    public int SiloPort { get; init; } = 11111;
    /// <summary>Client gateway port (0: no gateway, e.g. the embedded run).</summary>
    public int GatewayPort { get; init; } = 30000;
    /// <summary>Localhost clustering: the primary silo's silo-to-silo endpoint (null: this silo is the primary).</summary>
    public IPEndPoint? PrimarySilo { get; init; }
    /// <summary>Azure Storage connection string (Azurite locally): Azure Table membership, Blob grain state and weights.</summary>
    public string? AzureStorage { get; init; }
    /// <summary>Persistent (Azure Queue) streams instead of memory streams; needs <see cref="AzureStorage"/>.</summary>
    public bool PersistentStreams { get; init; }
    /// <summary>Kubernetes hosting (pod name/namespace from the environment); membership from Azure Table.</summary>
    public bool Kubernetes { get; init; }
    /// <summary>Port of the Orleans dashboard (0: off).</summary>
    public int DashboardPort { get; init; }
    /// <summary>Folder for published weights when there is no Azure Storage.</summary>
    public string WeightsDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "rollouts-weights");
    /// <summary>Write OpenTelemetry metrics to the console every few seconds.</summary>
    public bool MetricsToConsole { get; init; }
    /// <summary>Address the silo advertises (default: loopback for localhost clustering).</summary>
    public IPAddress? AdvertisedAddress { get; init; }

    public void Validate()
    {
        if (PersistentStreams && AzureStorage is null)
            throw new ArgumentException("persistent streams need Azure Storage: give --azure-storage (or ROLLOUTS_AZURE_STORAGE)");
        if (Kubernetes && AzureStorage is null)
            throw new ArgumentException("Kubernetes hosting needs Azure Storage for membership: give --azure-storage (or ROLLOUTS_AZURE_STORAGE)");
        if (SiloPort is < 0 or > 65535) throw new ArgumentException($"silo port {SiloPort} is not a port number");
        if (GatewayPort is < 0 or > 65535) throw new ArgumentException($"gateway port {GatewayPort} is not a port number");
        if (DashboardPort is < 0 or > 65535) throw new ArgumentException($"dashboard port {DashboardPort} is not a port number");
    }
}
