using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Rollouts.Policy.Benchmarks;

/// <summary>What to measure.</summary>
/// <param name="Config">Model shape; <see cref="PolicyConfig.Default"/> when null.</param>
/// <param name="Batch">Prompts per generation call.</param>
/// <param name="PromptLength">Tokens per prompt (an observation + context is about this long).</param>
/// <param name="MaxPlanTokens">Plan length limit of the grammar: 8, the shipped configs' (<c>model.max_output_tokens</c> 12
/// less <c>&lt;plan&gt; &lt;/plan&gt; &lt;act&gt; A</c>; a subgoal is one token). An untrained model seldom closes a plan
/// early, so its plans run to about this length.</param>
/// <param name="TrainBatch">Sequences per training step.</param>
/// <param name="Seconds">Time per model measurement (after one warm-up round); the prefill alone and each of the three matmul measurements take a third of it (the matmul at least 0.5 s).</param>
/// <param name="MatmulSize">N of the N×N·N×N float32 matmul that measures the device's peak.</param>
/// <param name="Threads">libtorch intra-op threads (null: leave as is).</param>
/// <param name="Device">Where to run; <see cref="TorchRuntime.DefaultDevice"/> when null.</param>
/// <param name="Planning">Who decides to plan in the inference measurement: the (untrained) model, whose outputs are
/// about half plans, or forced: never (every output <c>&lt;act&gt; A</c>, as a trained policy emits on 78-99 % of its
/// steps) or always (a plan on every output).</param>
/// <param name="MemoryBytes">Size of the buffer whose read rate is the yardstick of the decode steps (they read the
/// KV cache).</param>
public sealed record PolicyBenchmarkOptions(
    PolicyConfig? Config = null,
    int Batch = 64,
    int PromptLength = 128,
    int MaxPlanTokens = 8,
    int TrainBatch = 32,
    double Seconds = 3,
    int MatmulSize = 1024,
    int? Threads = null,
    Device? Device = null,
    PlanDecision Planning = PlanDecision.Model,
    long MemoryBytes = 256L << 20);

/// <summary>
/// Throughput of the policy model: batched KV-cache generation (inference), SFT steps (training),
/// and the device's float32 matmul rate as the yardstick for efficiency. Returns key=value lines.
/// </summary>
public static class PolicyBenchmark
{
    public static IReadOnlyList<string> Run(PolicyBenchmarkOptions? options = null)
    {
        options ??= new PolicyBenchmarkOptions();
        if (options.Threads is int threads) TorchRuntime.SetCpuThreads(threads);
        var device = options.Device ?? TorchRuntime.DefaultDevice;
        var config = (options.Config ?? PolicyConfig.Default).Validate();
        var lines = new List<string>();
        void Emit(string key, object value) =>
            lines.Add(key + "=" + (value is double d ? d.ToString("G6", CultureInfo.InvariantCulture) : Convert.ToString(value, CultureInfo.InvariantCulture)));

        // A synthetic vocabulary of the configured size: 8 specials, 17 actions, 40 plan words, the rest observation words.
        int vocab = config.VocabSize;
        if (vocab < 80) throw new ArgumentException($"the benchmark needs a vocabulary of at least 80 tokens, got {vocab}.");
        var spec = new TokenSpec(vocab, Pad: 0, Plan: 4, PlanEnd: 5, Act: 6, Eos: 7,
            ActionIds: Enumerable.Range(8, 17).ToArray(), PlanWordIds: Enumerable.Range(25, 40).ToArray());
        var grammar = new OutputGrammar(spec, options.MaxPlanTokens, planDecision: options.Planning);
        if (options.PromptLength + grammar.MaxOutputTokens > config.MaxContext)
            throw new ArgumentException($"PromptLength {options.PromptLength} + {grammar.MaxOutputTokens} output tokens exceeds MaxContext {config.MaxContext}.");
        var rng = new Random(1);
        int[] RandomPrompt() => Enumerable.Range(0, options.PromptLength).Select(_ => rng.Next(65, vocab)).ToArray();

        Emit("device", device.type.ToString().ToLowerInvariant());
        Emit("torch_threads", torch.get_num_threads());
        Emit("d_model", config.DModel);
        Emit("layers", config.Layers);
        Emit("heads", config.Heads);
        Emit("d_ff", config.DFf);
        Emit("max_context", config.MaxContext);
        Emit("vocab", vocab);
        Emit("parameters", config.ParameterCount);

        // 1. Matmul rate: measured before, between and after the two model measurements, and each model figure is
        // set against the mean of the two next to it in time. The rate this machine gives swings by 2x between
        // minutes (99-255 GFLOP/s on one day); one figure taken first made the efficiencies swing with it.
        double MatmulNow() => MeasureMatmul(options.MatmulSize, device, Math.Max(0.5, options.Seconds / 3));
        var matmul = new List<double> { MatmulNow() };
        Emit("matmul_n", options.MatmulSize);

        using var model = new PolicyModel(config, device);

        // 2. Inference: batched generation with the KV cache (sampling at temperature 1).
        {
            var prompts = Enumerable.Range(0, options.Batch).Select(_ => RandomPrompt()).ToArray();
            using var gen = new Generator(1, device);
            PolicyDecoder.Generate(model, grammar, prompts, DecodeOptions.Default, gen); // warm-up
            long generated = 0, planned = 0;
            double flops = 0, kvBytes = 0;
            var (calls, secs) = TimeRepeated(options.Seconds, () =>
            {
                foreach (var r in PolicyDecoder.Generate(model, grammar, prompts, DecodeOptions.Default, gen))
                {
                    generated += r.Output.Length;
                    if (r.Planned) planned++;
                    flops += PrefillFlops(config, options.PromptLength);
                    for (int k = 0; k < r.Output.Length; k++)
                        flops += config.ForwardFlopsPerToken(options.PromptLength + k + 1);
                    kvBytes += DecodeKvBytes(config, options.PromptLength, r.Output.Length - (grammar.EndWithEos ? 1 : 0));
                }
            });
            long promptTokens = calls * options.Batch * options.PromptLength;

            // The prefill alone (the prompts through the model into a fresh cache, the value read at the last
            // position), so that the report says which half of a call the time goes to: the prefill is large matmuls,
            // the decode steps are one token per row each.
            double prefillMs;
            {
                var ids = new long[options.Batch * options.PromptLength];
                var pos = new long[ids.Length];
                for (int b = 0; b < options.Batch; b++)
                for (int j = 0; j < options.PromptLength; j++)
                {
                    ids[b * options.PromptLength + j] = prompts[b][j];
                    pos[b * options.PromptLength + j] = j;
                }
                using var __ = torch.inference_mode();
                using var idsT = torch.tensor(ids, new long[] { options.Batch, options.PromptLength }, device: device);
                using var posT = torch.tensor(pos, new long[] { options.Batch, options.PromptLength }, device: device);
                void Prefill()
                {
                    using var prefillScope = torch.NewDisposeScope();
                    using var cache = model.NewCache(options.Batch, options.PromptLength + grammar.MaxOutputTokens);
                    var hidden = model.Hidden(idsT, posT, attendMask: null, cache);
                    model.Value(hidden.select(1, options.PromptLength - 1)).cpu().Dispose();
                }
                Prefill(); // warm-up
                var (reps, prefillSecs) = TimeRepeated(options.Seconds / 3, Prefill);
                prefillMs = prefillSecs * 1000 / reps;
            }
            double callMs = secs * 1000 / calls;
            double prefillFlops = options.Batch * PrefillFlops(config, options.PromptLength);
            Emit("infer_planning", options.Planning.Name());
            Emit("infer_planning_rate", (double)planned / (calls * options.Batch));
            Emit("infer_batch", options.Batch);
            Emit("infer_prompt_tokens", options.PromptLength);
            Emit("infer_decisions_per_s", calls * options.Batch / secs);
            Emit("infer_generated_tokens_per_s", generated / secs);
            Emit("infer_mean_output_tokens", (double)generated / (calls * options.Batch));
            Emit("infer_total_tokens_per_s", (generated + promptTokens) / secs);
            Emit("infer_model_flops_per_generated_token", config.ForwardFlopsPerToken(options.PromptLength + 4));
            matmul.Add(MatmulNow());
            double yardstick = (matmul[0] + matmul[1]) / 2;
            Emit("infer_achieved_gflops", flops / secs / 1e9);
            Emit("infer_matmul_gflops", yardstick);
            Emit("infer_efficiency", flops / secs / 1e9 / yardstick);
            // Split of one call: the prefill as timed alone, the decode steps as the rest of the call. Should the
            // machine's speed drift make the prefill alone as slow as a whole call, the decode rate is NaN, not a
            // figure divided by ~0.
            double decodeMs = callMs - prefillMs;
            double decodeFlops = flops / calls - prefillFlops;
            Emit("infer_call_ms", callMs);
            Emit("infer_prefill_ms", prefillMs);
            Emit("infer_prefill_efficiency", prefillFlops / (prefillMs / 1000) / 1e9 / yardstick);
            Emit("infer_decode_ms", decodeMs);
            Emit("infer_decode_efficiency", decodeMs > 0 ? decodeFlops / (decodeMs / 1000) / 1e9 / yardstick : double.NaN);
            // The decode steps are one token per row: their attention reads every row's cached keys and values. Set
            // against the rate this machine reads memory, that traffic says whether memory or per-operation cost bounds
            // them (on the 2-core development machine: 1-7 of 37-56 GB/s, so the latter; bench/README.md).
            double memory = MeasureMemoryRead(options.MemoryBytes, device, Math.Max(0.25, options.Seconds / 6));
            Emit("memory_read_gbytes_per_s", memory);
            Emit("infer_decode_kv_gbytes_per_s", decodeMs > 0 ? kvBytes / calls / (decodeMs / 1000) / 1e9 : double.NaN);
        }

        // 3. Training: SFT steps (forward + backward + AdamW) on prompt + output sequences.
        {
            int[] output = [spec.Plan, 25, 26, 27, 28, 29, spec.PlanEnd, spec.Act, 8]; // a plan of 5 subgoals
            var prompts = Enumerable.Range(0, options.TrainBatch).Select(_ => RandomPrompt()).ToArray();
            var outputs = Enumerable.Range(0, options.TrainBatch).Select(_ => output).ToArray();
            using var trainer = new SftTrainer(model, spec.Pad);
            trainer.TrainStep(prompts, outputs); // warm-up
            var (steps, secs) = TimeRepeated(options.Seconds, () => trainer.TrainStep(prompts, outputs));
            int seqLen = options.PromptLength + output.Length - 1; // the last output token is only a target
            double tokens = (double)steps * options.TrainBatch * seqLen;
            // Forward FLOPs per sequence: every position through the blocks (attending to j+1 positions),
            // the LM head only at the output positions; training ≈ 3× forward (backward is ≈ 2×).
            double fwd = 0;
            for (int j = 0; j < seqLen; j++) fwd += config.ForwardFlopsPerToken(j + 1, includeLmHead: false);
            fwd += output.Length * 2.0 * config.DModel * vocab;
            double flops = 3 * fwd * steps * options.TrainBatch;
            Emit("train_batch", options.TrainBatch);
            Emit("train_seq_tokens", seqLen);
            Emit("train_steps_per_s", steps / secs);
            Emit("train_tokens_per_s", tokens / secs);
            Emit("train_model_flops_per_token", 3 * fwd / seqLen);
            matmul.Add(MatmulNow());
            double yardstick = (matmul[1] + matmul[2]) / 2;
            Emit("train_achieved_gflops", flops / secs / 1e9);
            Emit("train_matmul_gflops", yardstick);
            Emit("train_efficiency", flops / secs / 1e9 / yardstick);
        }

        // 4. Training on sequences of mixed length, as teacher data has (prompts of a third to all of PromptLength;
        // teacher inputs run 32-100 tokens), packed several to a row (the trainer's default) against one per row.
        {
            var lengthRng = new Random(2);
            var prompts = Enumerable.Range(0, options.Batch)
                .Select(_ => RandomPrompt()[..lengthRng.Next(options.PromptLength / 3, options.PromptLength + 1)]).ToArray();
            int[] act = [spec.Act, 8];
            var outputs = Enumerable.Range(0, options.Batch).Select(_ => act).ToArray();
            using var trainer = new SftTrainer(model, spec.Pad);
            foreach (bool pack in (ReadOnlySpan<bool>)[false, true])
            {
                trainer.PackSequences = pack;
                trainer.TrainStep(prompts, outputs); // warm-up
                var (steps, secs) = TimeRepeated(options.Seconds / 2, () => trainer.TrainStep(prompts, outputs));
                Emit(pack ? "train_mixed_packed_samples_per_s" : "train_mixed_rows_samples_per_s", steps * options.Batch / secs);
            }
            // The same packed batches split over one model copy per thread, each on its own thread (what rollouts train does on the CPU).
            int shards = torch.get_num_threads();
            if (shards > 1 && device.type == DeviceType.CPU)
            {
                using var sharded = new SftTrainer(model, spec.Pad, shards: shards);
                sharded.TrainStep(prompts, outputs); // warm-up
                var (steps, secs) = TimeRepeated(options.Seconds / 2, () => sharded.TrainStep(prompts, outputs));
                Emit("train_mixed_sharded_samples_per_s", steps * options.Batch / secs);
                Emit("train_mixed_shards", shards);
            }
            Emit("train_mixed_batch", options.Batch);
            Emit("train_mixed_mean_seq_tokens", prompts.Average(p => p.Length) + act.Length - 1);
        }
        // 5. PPO updates as rollouts train runs them: a batch of 512 mixed-length prompts with their generated outputs (a
        // quarter with a plan), minibatches of 128, one epoch, the KL penalty to a reference copy; whole minibatches on the
        // libtorch threads, then (CPU, more than one thread) split over one model copy per thread.
        {
            var lengthRng = new Random(3);
            const int batchSize = 512;
            var prompts = Enumerable.Range(0, batchSize)
                .Select(_ => RandomPrompt()[..lengthRng.Next(options.PromptLength / 3, options.PromptLength + 1)]).ToArray();
            int[] act = [spec.Act, 8], planned = [spec.Plan, 25, 26, 27, spec.PlanEnd, spec.Act, 8];
            var outputs = Enumerable.Range(0, batchSize).Select(i => i % 4 == 0 ? planned : act).ToArray();
            var noise = Enumerable.Range(0, batchSize).Select(_ => (float)(lengthRng.NextDouble() * 2 - 1)).ToArray();
            var batch = new PpoBatch(prompts, outputs, new float[batchSize], new float[batchSize], noise, noise);
            using var reference = new PolicyModel(config, device);
            // The model's own choice to plan: these outputs mix both, whatever --planning forced on the generation above.
            var ppoGrammar = new OutputGrammar(spec, options.MaxPlanTokens);
            int libtorchThreads = torch.get_num_threads();
            foreach (int shards in libtorchThreads > 1 && device.type == DeviceType.CPU ? [1, libtorchThreads] : new[] { 1 })
            {
                using var ppo = new PpoTrainer(model, ppoGrammar, new PpoOptions { UpdateEpochs = 1, MinibatchSize = 128, KlCoef = 0.05 }, reference, shards);
                ppo.Update(batch); // warm-up
                var (updates, secs) = TimeRepeated(options.Seconds / 2, () => ppo.Update(batch));
                Emit(shards == 1 ? "ppo_update_samples_per_s" : "ppo_update_sharded_samples_per_s", updates * batchSize / secs);
            }
        }
        Emit("matmul_gflops", matmul.Average());
        Emit("matmul_gflops_min", matmul.Min());
        Emit("matmul_gflops_max", matmul.Max());
        return lines;
    }

    /// <summary>Runs <paramref name="once"/> until <paramref name="seconds"/> have passed (at least once); how often and how long.</summary>
    private static (long Reps, double Seconds) TimeRepeated(double seconds, Action once)
    {
        long reps = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || reps == 0)
        {
            once();
            reps++;
        }
        return (reps, sw.Elapsed.TotalSeconds);
    }

    private static double PrefillFlops(PolicyConfig c, int promptLength)
    {
        double f = 0;
        for (int j = 0; j < promptLength; j++) f += c.ForwardFlopsPerToken(j + 1, includeLmHead: false);
        return f + 2.0 * c.DModel * c.VocabSize; // LM head at the last prompt position
    }

    /// <summary>
    /// Bytes of cached keys and values the decode steps of one output read: each sampled token after the first is one
    /// step whose attention reads K and V of every layer over the prompt and the tokens before it. A lower bound: rows
    /// that are done still run until the batch is compacted.
    /// </summary>
    internal static double DecodeKvBytes(PolicyConfig c, int promptLength, int sampledTokens)
    {
        double bytes = 0;
        for (int k = 1; k < sampledTokens; k++)
            bytes += (double)c.Layers * 2 * (promptLength + k) * c.DModel * sizeof(float);
        return bytes;
    }

    /// <summary>GB/s of reading a float32 buffer of <paramref name="bytes"/> (a sum over it, repeated).</summary>
    public static double MeasureMemoryRead(long bytes, Device device, double seconds)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var a = torch.ones(Math.Max(1, bytes / sizeof(float)), device: device);
        a.sum().Dispose();
        Synchronize(device);
        long reps = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || reps == 0)
        {
            a.sum().Dispose();
            reps++;
        }
        Synchronize(device);
        return (double)a.numel() * sizeof(float) * reps / sw.Elapsed.TotalSeconds / 1e9;
    }

    /// <summary>GFLOP/s of repeated float32 N×N matmuls (2N³ FLOPs each).</summary>
    public static double MeasureMatmul(int n, Device device, double seconds)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var a = torch.randn(n, n, device: device);
        var b = torch.randn(n, n, device: device);
        torch.mm(a, b).Dispose();
        Synchronize(device);
        long reps = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || reps == 0)
        {
            torch.mm(a, b).Dispose();
            reps++;
            if (reps % 8 == 0) Synchronize(device);
        }
        Synchronize(device);
        return 2.0 * n * (double)n * n * reps / sw.Elapsed.TotalSeconds / 1e9;
    }

    private static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
    }
}
