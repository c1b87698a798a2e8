using System.Diagnostics;
using System.Text.Json;

namespace Rollouts.Policy.Tests;

/// <summary>
/// build/TorchSharpNative.targets: which libtorch package each <c>-p:TorchBackend</c> brings (read from MSBuild's evaluation
/// of Rollouts.Policy.csproj; nothing is restored or built), and the hint when a build without one finds no libtorch.
/// </summary>
public class TorchBackendTests
{
    [SourceTreeTheory]
    [InlineData("cpu", "libtorch-cpu-linux-x64")]
    [InlineData("cuda", "libtorch-cuda-12.8-linux-x64")]
    [InlineData("system", null)]
    public void EachBackendReferencesTorchSharpAndItsOwnLibTorchOnly(string backend, string? libtorch)
    {
        var references = PackageReferences(backend);
        Assert.Contains("TorchSharp", references);
        var libtorchPackages = references.Where(r => r.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase)).ToArray();
        Assert.Equal(libtorch is null ? [] : new[] { libtorch }, libtorchPackages);
    }

    [Fact]
    public void MissingLibTorchGetsTheLdLibraryPathHint()
    {
        // TorchSharp 0.107's words when neither the app folder nor the loader's search path has libtorch.
        string torchSharp = "This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64, Version=2.10.0.0.";
        var hint = TorchRuntime.DiagnoseMissingLibTorch(torchSharp);
        Assert.NotNull(hint);
        Assert.Contains("LD_LIBRARY_PATH", hint);
        Assert.Contains("TorchBackend=system", hint);
        Assert.Null(TorchRuntime.DiagnoseMissingLibTorch("/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found"));
    }

    [Fact]
    public void DeviceNamesResolveAsConfigsAndTheBenchUseThem()
    {
        Assert.Equal(TorchSharp.DeviceType.CPU, TorchRuntime.ResolveDevice("cpu").type);
        Assert.Equal(TorchRuntime.DefaultDevice.type, TorchRuntime.ResolveDevice("auto").type);
        Assert.Contains("cpu, cuda or auto", Assert.Throws<ArgumentException>(() => TorchRuntime.ResolveDevice("gpu")).Message);
    }

    private static string[] PackageReferences(string backend)
    {
        string project = Path.Combine(SourceTreeTheoryAttribute.RepositoryRoot()
            ?? throw new InvalidOperationException($"no Rollouts.sln above {AppContext.BaseDirectory}"), "src", "Policy", "Rollouts.Policy.csproj");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "msbuild", project, "-getItem:PackageReference", $"-p:TorchBackend={backend}", "-nologo" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"dotnet msbuild failed ({process.ExitCode}): {stdout.Result}{stderr.Result}");
        using var json = JsonDocument.Parse(stdout.Result);
        return json.RootElement.GetProperty("Items").GetProperty("PackageReference").EnumerateArray()
            .Select(e => e.GetProperty("Identity").GetString()!).ToArray();
    }
}
