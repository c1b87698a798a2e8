using Rollouts.Policy;
using Rollouts.Policy.Benchmarks;

namespace Rollouts.Bench;

/// <summary>
/// <c>rollouts-bench policy [--seconds S] [--threads N] [--batch B] [--model default|quick|dWIDTHxLAYERS] [--positions rotary|learned] [--planning policy|never|always] [--device cpu|cuda|auto] [--matmul-n N]</c>: the policy model's inference
/// (batched generation with the KV cache) and training throughput and the matmul rate, as key=value lines
/// (<see cref="PolicyBenchmark"/>). Numbers: bench/README.md.
/// </summary>
public static class PolicyBench
{
    /// <returns>The exit code: 0, or 2 when <paramref name="device"/> is cuda and no CUDA device can be used.</returns>
    public static int Run(double seconds, int threads, string model, int batch, string positions, string planning, string device, int matmulN,
        TextWriter output, TextWriter error)
    {
        try { TorchRuntime.EnsureLoaded(); }
        catch (InvalidOperationException e)
        {
            error.WriteLine("error: " + e.Message);
            return 2;
        }
        if (device == "cuda" && !TorchRuntime.CudaAvailable) // asked first: torch.CUDA itself throws without one
        {
            error.WriteLine("error: --device cuda, but no CUDA device is available (it needs a GPU and a CUDA libtorch: README, \"Policy and training\").");
            return 2;
        }
        var where = TorchRuntime.ResolveDevice(device);
        if (matmulN == 0) matmulN = where.type == TorchSharp.DeviceType.CUDA ? 8192 : 1024;
        var config = Shape(model) with { Positions = Enum.Parse<PositionEncoding>(positions, ignoreCase: true) };
        var decision = PlanDecisionNames.Parse(planning);
        output.WriteLine($"suite=policy model={model} positions={positions} planning={planning}");
        foreach (string line in PolicyBenchmark.Run(new PolicyBenchmarkOptions(Config: config, Batch: batch, Seconds: seconds, Threads: threads,
                     Device: where, Planning: decision, MatmulSize: matmulN)))
            output.WriteLine(line);
        return 0;
    }

    /// <summary>True for the shapes <see cref="Shape"/> knows: default, quick, or dWIDTHxLAYERS (e.g. d1024x8).</summary>
    public static bool IsKnownShape(string model) =>
        model is "default" or "quick" || ParseCustom(model) is not null;

    /// <summary>
    /// The model shape to measure: the default (d128×4), quick (configs/quick.yaml's d64×2), or dWIDTHxLAYERS with
    /// heads of 64 and a feed-forward of 4× the width, to see how the measured efficiency grows with the model on a GPU.
    /// </summary>
    public static PolicyConfig Shape(string model) => model switch
    {
        "quick" => new PolicyConfig(VocabSize: 512, DModel: 64, Layers: 2, Heads: 4, DFf: 256, MaxContext: 160),
        "default" => PolicyConfig.Default,
        _ => ParseCustom(model) ?? throw new ArgumentException($"unknown model shape '{model}': use default, quick or dWIDTHxLAYERS (e.g. d1024x8)."),
    };

    private static PolicyConfig? ParseCustom(string model)
    {
        var m = System.Text.RegularExpressions.Regex.Match(model, "^d([0-9]{2,5})x([0-9]{1,3})$");
        if (!m.Success) return null;
        int width = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        int layers = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (width % 64 != 0 || layers < 1) return null;
        return PolicyConfig.Default with { DModel = width, Layers = layers, Heads = width / 64, DFf = 4 * width };
    }
}
