using System.Globalization;
using Rollouts.Policy;
using Rollouts.Policy.Benchmarks;

namespace Rollouts.Policy.Tests;

public sealed class PolicyBenchmarkTests
{
    [Fact]
    public void EachEfficiencyIsItsAchievedRateOverTheMatmulRateMeasuredNextToIt()
    {
        _ = TestVocab.Spec; // one libtorch thread, as the other tests
        var config = new PolicyConfig(VocabSize: 96, DModel: 16, Layers: 1, Heads: 2, DFf: 32, MaxContext: 48);
        var lines = PolicyBenchmark.Run(new PolicyBenchmarkOptions(Config: config, Batch: 4, PromptLength: 16,
            MaxPlanTokens: 4, TrainBatch: 2, Seconds: 0.05, MatmulSize: 64));
        var v = lines.Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        double D(string key) => double.Parse(v[key], CultureInfo.InvariantCulture);

        foreach (string phase in new[] { "infer", "train" })
        {
            Assert.True(D(phase + "_matmul_gflops") > 0);
            Assert.Equal(D(phase + "_achieved_gflops") / D(phase + "_matmul_gflops"), D(phase + "_efficiency"), 4);
            // Each phase's yardstick is a mean of two of the three measurements: inside their range.
            Assert.InRange(D(phase + "_matmul_gflops"), D("matmul_gflops_min") * 0.9999, D("matmul_gflops_max") * 1.0001);
        }
        Assert.InRange(D("matmul_gflops"), D("matmul_gflops_min") * 0.9999, D("matmul_gflops_max") * 1.0001);
        Assert.True(D("infer_total_tokens_per_s") > 0 && D("train_tokens_per_s") > 0);
        // Mixed-length training, packed and one sequence per row: both measured, on sequences of a third to all of
        // the prompt length plus one output token.
        Assert.True(D("train_mixed_packed_samples_per_s") > 0 && D("train_mixed_rows_samples_per_s") > 0);
        Assert.InRange(D("train_mixed_mean_seq_tokens"), 16 / 3 + 1, 16 + 1);

        // The split of one generation call: its time is the batch over the decision rate, and the prefill (timed
        // alone) and the decode steps (the rest) add up to it. For this tiny model a call's few decode steps cost
        // several prefills (each is one pass of per-operation overhead), so both parts are positive rates.
        Assert.Equal(1000 * D("infer_batch") / D("infer_decisions_per_s"), D("infer_call_ms"), 3);
        Assert.Equal(D("infer_call_ms"), D("infer_prefill_ms") + D("infer_decode_ms"), 3);
        Assert.True(D("infer_prefill_ms") > 0 && D("infer_decode_ms") > 0);
        Assert.True(D("infer_prefill_efficiency") > 0 && D("infer_decode_efficiency") > 0);
    }

    [Theory]
    [InlineData(PlanDecision.Never, "never")]
    [InlineData(PlanDecision.Always, "always")]
    public void A_forced_planning_decision_sets_what_the_inference_measurement_generates(PlanDecision planning, string name)
    {
        _ = TestVocab.Spec;
        var config = new PolicyConfig(VocabSize: 96, DModel: 16, Layers: 1, Heads: 2, DFf: 32, MaxContext: 48);
        var lines = PolicyBenchmark.Run(new PolicyBenchmarkOptions(Config: config, Batch: 4, PromptLength: 16,
            MaxPlanTokens: 4, TrainBatch: 2, Seconds: 0.05, MatmulSize: 64, Planning: planning, MemoryBytes: 1 << 20));
        var v = lines.Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        double D(string key) => double.Parse(v[key], CultureInfo.InvariantCulture);

        Assert.Equal(name, v["infer_planning"]);
        if (planning == PlanDecision.Never)
        {
            Assert.Equal(0, D("infer_planning_rate"));
            Assert.Equal(2, D("infer_mean_output_tokens")); // <act> A
        }
        else
        {
            Assert.Equal(1, D("infer_planning_rate"));
            Assert.True(D("infer_mean_output_tokens") >= 4, v["infer_mean_output_tokens"]); // <plan> ... </plan> <act> A
        }
        Assert.True(D("memory_read_gbytes_per_s") > 0 && D("infer_decode_kv_gbytes_per_s") > 0);
    }

    [Fact]
    public void The_decode_steps_read_every_layers_keys_and_values_over_the_context_so_far()
    {
        var config = new PolicyConfig(VocabSize: 96, DModel: 16, Layers: 3, Heads: 2, DFf: 32, MaxContext: 48);
        // Three sampled tokens: the first comes from the prefill, the second and third from one step each, which
        // attend over 17 and 18 positions: 3 layers x (K and V) x (17 + 18) x 16 floats x 4 bytes.
        Assert.Equal(3 * 2 * (17 + 18) * 16 * 4, PolicyBenchmark.DecodeKvBytes(config, promptLength: 16, sampledTokens: 3));
        Assert.Equal(0, PolicyBenchmark.DecodeKvBytes(config, promptLength: 16, sampledTokens: 1));
    }
}
