using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Rollouts.Grains;
using Rollouts.Grains.Policy;
using Rollouts.Learner;

namespace Rollouts.Silo;

/// <summary>The services the grains need besides Orleans: weight storage, the policy, the learning algorithm.</summary>
public static class Plugins
{
    public static void AddDefaults(IServiceCollection services, SiloSettings settings)
    {
        if (settings.AzureStorage is { } azure)
            services.TryAddSingleton<IWeightStore>(_ => new BlobWeightStore(new BlobServiceClient(azure)));
        else
            services.TryAddSingleton<IWeightStore>(_ => new FileWeightStore(settings.WeightsDirectory));
        services.TryAddSingleton<IDecisionPolicyFactory, TorchDecisionPolicyFactory>();
        services.TryAddSingleton<ILearnerAlgorithmFactory, TorchLearnerFactory>();
    }
}
