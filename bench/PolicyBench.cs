using Rollouts.Policy;
using Rollouts.Policy.Benchmarks;

namespace Rollouts.Bench;

/// <summary>
/// <c>rollouts-bench policy [--seconds S] [--threads N] [--batch B] [--model default|quick] [--positions rotary|learned] [--planning policy|never|always]</c>: the policy model's inference
/// (batched generation with the KV cache) and training throughput and the matmul rate, as key=value lines
/// (<see cref="PolicyBenchmark"/>). Numbers: bench/README.md.
/// </summary>
public static class PolicyBench
{
    public static void Run(double seconds, int threads, string model, int batch, string positions, string planning, TextWriter output)
    {
        var config = (model == "quick"
            ? new PolicyConfig(VocabSize: 512, DModel: 64, Layers: 2, Heads: 4, DFf: 256, MaxContext: 160)
            : PolicyConfig.Default) with { Positions = Enum.Parse<PositionEncoding>(positions, ignoreCase: true) };
        var decision = PlanDecisionNames.Parse(planning);
        output.WriteLine($"suite=policy model={model} positions={positions} planning={planning}");
        foreach (string line in PolicyBenchmark.Run(new PolicyBenchmarkOptions(Config: config, Batch: batch, Seconds: seconds, Threads: threads,
                     Planning: decision)))
            output.WriteLine(line);
    }
}
