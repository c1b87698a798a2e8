using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Rollouts.Silo;

/// <summary>A cluster that cannot be reached; the message names where it was looked for.</summary>
public sealed class ClusterUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Connects the console to a running cluster (localhost gateways, or Azure Table membership).</summary>
public static class RolloutsClient
{
    public static async Task<IHost> ConnectAsync(SiloSettings settings, IReadOnlyList<IPEndPoint> gateways, CancellationToken cancellationToken = default)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ServiceId;
            });
            if (settings.AzureStorage is { } azure)
                client.UseAzureStorageClustering(o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(azure));
            else
                client.UseStaticClustering(gateways.ToArray());
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        });
        var host = builder.Build();
        string where = settings.AzureStorage is not null
            ? $"cluster '{settings.ClusterId}' (Azure Table membership)"
            : string.Join(", ", gateways.Select(g => g.ToString()));
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            await host.StartAsync(timeout.Token);
            return host;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            throw new ClusterUnreachableException($"cannot reach the cluster at {where}: {FirstLine(e.Message)}. Is a silo running ('rollouts silo --role all')?", e);
        }
    }

    private static string FirstLine(string message)
    {
        int nl = message.IndexOf('\n');
        return (nl < 0 ? message : message[..nl]).Trim();
    }
}
