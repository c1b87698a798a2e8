using System.Reflection;
using Rollouts.Policy;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Rollouts.Policy.Tests;

/// <summary>A [Fact] that is skipped (not failed) when no CUDA device is available.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        bool available;
        try { available = TorchRuntime.CudaAvailable; }
        catch (InvalidOperationException) { available = false; }
        if (!available) Skip = "needs a CUDA device (TorchSharp CUDA backend and a GPU)";
    }
}

/// <summary>
/// A theory that reads the repository (MSBuild evaluation of its projects): skipped where the test binaries run outside a
/// source tree, as on a GPU image that carries only the built tests; under <c>dotnet test</c> in a clone it always runs.
/// </summary>
public sealed class SourceTreeTheoryAttribute : TheoryAttribute
{
    public SourceTreeTheoryAttribute()
    {
        if (RepositoryRoot() is null) Skip = $"needs the source tree (no Rollouts.sln above {AppContext.BaseDirectory})";
    }

    /// <summary>The nearest folder above the test binaries that holds Rollouts.sln, or null.</summary>
    public static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Rollouts.sln"))) return dir.FullName;
        return null;
    }
}

/// <summary>A small vocabulary laid out like the real one: specials, plan words, actions, observation words.</summary>
public static class TestVocab
{
    // Tiny models: one libtorch thread is far faster than several competing for two cores.
    static TestVocab() => TorchRuntime.SetCpuThreads(1);

    public const int Pad = 0, Bos = 1, Obs = 2, ObsEnd = 3, Plan = 4, PlanEnd = 5, Act = 6, Eos = 7; // 8: unused
    public static readonly int[] PlanWords = [9, 10, 11, 12];
    public static readonly int[] Actions = [13, 14, 15];
    public const int VocabSize = 24; // 16..23: observation words

    public static TokenSpec Spec => new(VocabSize, Pad, Plan, PlanEnd, Act, Eos, Actions, PlanWords);

    public static OutputGrammar Grammar(int maxPlanTokens = 4, bool endWithEos = false, PlanDecision planDecision = PlanDecision.Model) =>
        new(Spec, maxPlanTokens, endWithEos, planDecision);

    public static PolicyModel TinyModel(long seed = 1, bool tied = true, PositionEncoding positions = PositionEncoding.Rotary) =>
        new(PolicyConfig.Tiny(VocabSize) with { TieEmbeddings = tied, Positions = positions }, TorchSharp.torch.CPU, seed);

    public static int[] Prompt(params int[] words) => [Bos, Obs, .. words, ObsEnd];

    public static string NuGetPackageRoot =>
        typeof(TestVocab).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .First(a => a.Key == "NuGetPackageRoot").Value ?? "";
}
