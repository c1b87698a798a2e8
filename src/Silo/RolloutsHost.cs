using System.Net;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Rollouts.Grains;
using Rollouts.Learner;

namespace Rollouts.Silo;

/// <summary>
/// The silo host: one <see cref="Build"/> for every role. Localhost clustering, memory grain state and memory streams
/// by default; Azure Table membership, Azure Blob grain state and weights (and Azure Queue streams when asked) when an
/// Azure Storage connection string is given; Kubernetes hosting on a cluster; the Orleans dashboard on a port;
/// OpenTelemetry metrics from Orleans and from the grains (meter <see cref="RolloutsMetrics.MeterName"/>).
/// </summary>
public static class RolloutsHost
{
    /// <summary>Builds a silo host. <paramref name="plugins"/> registers the policy and learner (<see cref="IDecisionPolicyFactory"/>,
    /// <see cref="ILearnerAlgorithmFactory"/>); what it leaves out gets the defaults of <see cref="Plugins"/>.</summary>
    public static IHost Build(SiloSettings settings, Action<IServiceCollection>? plugins = null, Action<ILoggingBuilder>? logging = null)
    {
        settings.Validate();
        IHostApplicationBuilder builder;
        WebApplicationBuilder? web = null;
        if (settings.DashboardPort > 0)
        {
            web = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
            web.WebHost.UseUrls($"http://0.0.0.0:{settings.DashboardPort}");
            builder = web;
        }
        else
        {
            builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        }
        builder.Logging.ClearProviders();
        if (logging is not null) logging(builder.Logging);
        else
        {
            builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(LogLevel.Warning);
            // Orleans' own start-up notes and shutdown noise are not for the console of an embedded run.
            builder.Logging.AddFilter("Orleans", LogLevel.Critical).AddFilter("Polly", LogLevel.None).AddFilter("Microsoft", LogLevel.Error);
        }

        builder.Services.AddSingleton(settings.Roles);
        plugins?.Invoke(builder.Services);
        Plugins.AddDefaults(builder.Services, settings);

        builder.UseOrleans(silo => ConfigureSilo(silo, settings));

        builder.Services.AddOpenTelemetry().WithMetrics(m =>
        {
            m.AddMeter("Microsoft.Orleans", RolloutsMetrics.MeterName);
            if (settings.MetricsToConsole) m.AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 10_000);
        });

        if (web is not null)
        {
            var app = web.Build();
            app.MapOrleansDashboard();
            return app;
        }
        return ((HostApplicationBuilder)builder).Build();
    }

    public static void ConfigureSilo(ISiloBuilder silo, SiloSettings settings)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = settings.ClusterId;
            o.ServiceId = settings.ServiceId;
        });
        silo.UseSiloMetadata(new Dictionary<string, string> { [SiloRoles.MetadataKey] = settings.Roles.ToString() });
        silo.AddRolePlacement();

        if (settings.AzureStorage is { } azure)
        {
            if (settings.Kubernetes) silo.UseKubernetesHosting();
            else
            {
                var address = settings.AdvertisedAddress ?? IPAddress.Loopback;
                silo.ConfigureEndpoints(address, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: address.Equals(IPAddress.Any));
            }
            silo.UseAzureStorageClustering(o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(azure));
            silo.AddAzureBlobGrainStorage(RolloutsNames.StateStore, o => o.BlobServiceClient = new BlobServiceClient(azure));
            silo.AddAzureBlobGrainStorage(RolloutsNames.PubSubStore, o => o.BlobServiceClient = new BlobServiceClient(azure));
            if (settings.PersistentStreams)
                silo.AddAzureQueueStreams(RolloutsNames.StreamProvider, (Microsoft.Extensions.Options.OptionsBuilder<AzureQueueOptions> ob) =>
                    ob.Configure(o => o.QueueServiceClient = new Azure.Storage.Queues.QueueServiceClient(azure)));
            else silo.AddMemoryStreams(RolloutsNames.StreamProvider);
        }
        else
        {
            silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, settings.PrimarySilo, settings.ServiceId, settings.ClusterId);
            silo.AddMemoryGrainStorage(RolloutsNames.StateStore);
            silo.AddMemoryGrainStorage(RolloutsNames.PubSubStore);
            silo.AddMemoryStreams(RolloutsNames.StreamProvider);
        }
        if (settings.DashboardPort > 0) silo.AddDashboard();
    }

}
