using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Storage;
using Orleans.TestingHost;
using Rollouts.Learner;

namespace Rollouts.Grains.Tests;

/// <summary>Grain state kept in a static dictionary, so it outlives a test cluster (to test that state is restored).</summary>
public sealed class SharedGrainStorage(Orleans.Serialization.DeepCopier copier) : IGrainStorage
{
    public static readonly ConcurrentDictionary<string, (object State, string ETag)> Store = new();

    private static string Key(string stateName, GrainId id) => $"{stateName}/{id}";

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (Store.TryGetValue(Key(stateName, grainId), out var entry))
        {
            grainState.State = (T)entry.State;
            grainState.ETag = entry.ETag;
            grainState.RecordExists = true;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // Store a deep copy, as real storage would.
        string etag = Guid.NewGuid().ToString("N");
        Store[Key(stateName, grainId)] = (copier.Copy(grainState.State)!, etag);
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Store.TryRemove(Key(stateName, grainId), out _);
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }
}

public sealed class TestSiloConfigurator : ISiloConfigurator
{
    public static readonly string WeightsDir = Path.Combine(Path.GetTempPath(), "rollouts-grain-tests-" + Environment.ProcessId);

    public void Configure(ISiloBuilder silo)
    {
        silo.UseSiloMetadata(new Dictionary<string, string> { [SiloRoles.MetadataKey] = new SiloRoles([SiloRoles.All]).ToString() });
        silo.AddRolePlacement();
        silo.Services.AddKeyedSingleton<IGrainStorage>(RolloutsNames.StateStore, (sp, _) =>
            new SharedGrainStorage(sp.GetRequiredService<Orleans.Serialization.DeepCopier>()));
        silo.AddMemoryGrainStorage(RolloutsNames.PubSubStore);
        silo.AddMemoryStreams(RolloutsNames.StreamProvider);
        silo.Services.AddSingleton(new SiloRoles([SiloRoles.All]));
        silo.Services.AddSingleton<IDecisionPolicyFactory, TestPolicyFactory>();
        silo.Services.AddSingleton<ILearnerAlgorithmFactory, TestLearnerFactory>();
        silo.Services.AddSingleton<IWeightStore>(new FileWeightStore(WeightsDir));
    }
}

public sealed class TestClientConfigurator : IClientBuilderConfigurator
{
    public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder client) =>
        client.AddMemoryStreams(RolloutsNames.StreamProvider);
}

/// <summary>One in-process silo with every role, the test policy and the test learner.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public static TestCluster NewCluster()
    {
        var builder = new TestClusterBuilder(1);
        builder.AddSiloBuilderConfigurator<TestSiloConfigurator>();
        builder.AddClientBuilderConfigurator<TestClientConfigurator>();
        return builder.Build();
    }

    public async Task InitializeAsync()
    {
        Cluster = NewCluster();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
