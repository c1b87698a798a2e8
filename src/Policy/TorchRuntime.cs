using TorchSharp;
using static TorchSharp.torch;

namespace Rollouts.Policy;

/// <summary>Loads the native TorchSharp backend once and picks the device.</summary>
public static class TorchRuntime
{
    private static readonly Lazy<Exception?> LoadError = new(TryLoad);

    /// <summary>CUDA when a GPU and the CUDA backend are present, else CPU.</summary>
    public static Device DefaultDevice => CudaAvailable ? torch.CUDA : torch.CPU;

    /// <summary>The device a config or command line names: cpu, cuda, or auto (<see cref="DefaultDevice"/>).</summary>
    public static Device ResolveDevice(string name) => name switch
    {
        "cpu" => torch.CPU,
        "cuda" => torch.CUDA,
        "auto" => DefaultDevice,
        _ => throw new ArgumentException($"unknown device '{name}': use cpu, cuda or auto.", nameof(name)),
    };

    public static bool CudaAvailable
    {
        get
        {
            EnsureLoaded();
            return torch.cuda.is_available();
        }
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> with a hint when the native library cannot be
    /// loaded (most often: a project that uses Rollouts.Policy without importing
    /// build/TorchSharpNative.targets, so its copy of libLibTorchSharp.so still needs GLIBCXX_3.4.32).
    /// </summary>
    public static void EnsureLoaded()
    {
        if (LoadError.Value is { } e)
            throw new InvalidOperationException(
                "TorchSharp's native library could not be loaded. " + (DiagnoseGlibcxx() ?? DiagnoseMissingLibTorch(Innermost(e).Message) ??
                "If the loader reports \"version `GLIBCXX_3.4.32' not found\", the project that builds this application must import " +
                "build/TorchSharpNative.targets (see src/Policy/README.md).") +
                " TorchSharp says: " + FirstLine(Innermost(e).Message), e);
    }

    /// <summary>
    /// A precise message when the application's libLibTorchSharp.so still needs GLIBCXX_3.4.32 strongly
    /// and the host's libstdc++ lacks it (the build-time fix was not applied); null otherwise.
    /// </summary>
    public static string? DiagnoseGlibcxx()
    {
        const string version = "GLIBCXX_3.4.32";
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var lib = new[]
            {
                Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
                Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"),
            }.FirstOrDefault(File.Exists);
            var host = Rollouts.Build.ElfVersionPatcher.FindHostLibStdCxx();
            if (lib is null || host is null || Rollouts.Build.ElfVersionPatcher.DefinesVersion(host, version)) return null;
            var need = Rollouts.Build.ElfVersionPatcher.ReadVersionNeeds(File.ReadAllBytes(lib)).FirstOrDefault(n => n.Version == version);
            if (need is null || need.IsWeak) return null;
            return $"{lib} needs {version}, which {host} does not define: import build/TorchSharpNative.targets into the project " +
                   "that builds this application (it marks that need weak in the build output; see src/Policy/README.md).";
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// A hint when libtorch itself was not found: a build with <c>-p:TorchBackend=system</c> ships no libtorch and takes
    /// the one on LD_LIBRARY_PATH (README, "Policy and training"); null for other failures.
    /// </summary>
    public static string? DiagnoseMissingLibTorch(string torchSharpMessage) =>
        torchSharpMessage.Contains("doesn't contain a reference to libtorch", StringComparison.Ordinal)
            ? "libtorch was not found: a build made with -p:TorchBackend=system has none of its own, so set LD_LIBRARY_PATH to a " +
              "libtorch lib folder, e.g. an installed PyTorch's: python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), \"lib\"))'."
            : null;

    private static string FirstLine(string s)
    {
        int i = s.IndexOf('\n');
        return (i < 0 ? s : s[..i]).Trim();
    }

    /// <summary>
    /// Sets libtorch's intra-op CPU threads. Small models on a busy machine run much faster with 1
    /// (measured here: an SFT step of the tiny test model took ~30 ms with 2 threads on 2 loaded cores,
    /// ~1.5 ms with 1).
    /// </summary>
    public static void SetCpuThreads(int threads)
    {
        if (threads <= 0) throw new ArgumentException($"threads must be positive, got {threads}.");
        EnsureLoaded();
        torch.set_num_threads(threads);
    }

    private static Exception? TryLoad()
    {
        try
        {
            NativeAllocatorTuning.Apply();
            using var t = torch.zeros(1);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
