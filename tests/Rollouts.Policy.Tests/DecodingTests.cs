using TorchSharp;
using static Rollouts.Policy.Tests.TestVocab;
using static TorchSharp.torch;

namespace Rollouts.Policy.Tests;

public class DecodingTests
{
    private static readonly int[][] Prompts =
    [
        Prompt(16, 17, 18, 19, 20),
        Prompt(21),
        Prompt(22, 23, 16, 17, 18, 19, 20, 21, 22, 23),
        Prompt(17, 17),
    ];

    [Fact]
    public void GeneratedOutputsFollowTheGrammar()
    {
        using var model = TinyModel();
        var g = Grammar(maxPlanTokens: 4);
        using var gen = new Generator(7, CPU);
        var many = Enumerable.Range(0, 16).SelectMany(_ => Prompts).ToArray();
        var results = PolicyDecoder.Generate(model, g, many, new DecodeOptions(Temperature: 2.0), gen);
        Assert.Equal(many.Length, results.Length);
        foreach (var r in results)
        {
            g.StatesFor(r.Output); // throws when the grammar is broken
            Assert.Contains(r.Action, Actions);
            Assert.Equal(g.CountPlanTokens(r.Output), r.PlanTokens);
            Assert.True(r.LogProb <= 0 && float.IsFinite(r.LogProb));
            Assert.True(float.IsFinite(r.Value));
        }
        // An untrained model at temperature 2 both plans and acts directly somewhere in 64 samples.
        Assert.Contains(results, r => r.Planned);
        Assert.Contains(results, r => !r.Planned);
    }

    [Theory]
    [InlineData(PlanDecision.Never)]
    [InlineData(PlanDecision.Always)]
    public void AForcedPlanDecisionOverridesTheModel(PlanDecision decision)
    {
        using var model = TinyModel();
        var free = Grammar(maxPlanTokens: 4);
        var forced = Grammar(maxPlanTokens: 4, planDecision: decision);
        var many = Enumerable.Range(0, 16).SelectMany(_ => Prompts).ToArray();
        var options = new DecodeOptions(Temperature: 2.0);
        var keys = Enumerable.Range(0, many.Length).Select(i => SampleStream.DecisionKey(i, 0)).ToArray();
        // The same untrained model and draws both plan and act directly when it decides itself (see above) ...
        var own = PolicyDecoder.Generate(model, free, many, options, null, keys);
        Assert.Contains(own, r => r.Planned);
        Assert.Contains(own, r => !r.Planned);
        // ... and only one way when the decision is forced; the outputs are still in the model's own grammar.
        var results = PolicyDecoder.Generate(model, forced, many, options, null, keys);
        foreach (var r in results)
        {
            Assert.Equal(decision == PlanDecision.Always, r.Planned);
            free.StatesFor(r.Output);
            forced.StatesFor(r.Output);
            Assert.Contains(r.Action, Actions);
        }
        int[] otherKind = decision == PlanDecision.Never ? [Plan, PlanWords[0], PlanEnd, Act, Actions[0]] : [Act, Actions[0]];
        Assert.Throws<ArgumentException>(() => forced.StatesFor(otherKind));
        // The forced first token costs nothing: an act-only output's log-prob is the action's alone, so it is higher
        // than (or equal to) the same output's log-prob when the model had to choose <act> itself.
        if (decision == PlanDecision.Never)
            for (int i = 0; i < many.Length; i++)
                if (!own[i].Planned && own[i].Action == results[i].Action) Assert.True(results[i].LogProb >= own[i].LogProb - 1e-5f);
    }

    [Fact]
    public void EosIsAppendedWhenTheGrammarAsksForIt()
    {
        using var model = TinyModel();
        var g = Grammar(maxPlanTokens: 2, endWithEos: true);
        foreach (var r in PolicyDecoder.Generate(model, g, Prompts, new DecodeOptions(Greedy: true)))
        {
            Assert.Equal(Eos, r.Output[^1]);
            Assert.Contains(r.Action, Actions);
            g.StatesFor(r.Output);
        }
    }

    [Theory]
    [InlineData(true, 1.0, PositionEncoding.Rotary)]
    [InlineData(false, 1.0, PositionEncoding.Rotary)]
    [InlineData(false, 0.7, PositionEncoding.Rotary)]
    [InlineData(false, 1.0, PositionEncoding.Learned)]
    public void KvCacheDecodingAgreesWithFullRecomputation(bool greedy, double temperature, PositionEncoding positions)
    {
        using var model = TinyModel(seed: 3, positions: positions);
        var g = Grammar(maxPlanTokens: 4, endWithEos: true);
        var options = new DecodeOptions(temperature, greedy);
        using var gen = new Generator(11, CPU);
        var many = Enumerable.Range(0, 4).SelectMany(_ => Prompts).ToArray();
        var results = PolicyDecoder.Generate(model, g, many, options, gen);
        using var scores = PolicyScorer.Score(model, g, many, results.Select(r => r.Output).ToArray(), options.LogProbTemperature);
        var sum = scores.SumLogProbs.data<float>().ToArray();
        var values = scores.Values.data<float>().ToArray();
        for (int b = 0; b < many.Length; b++)
        {
            Assert.Equal(results[b].LogProb, sum[b], 3e-4f);
            Assert.Equal(results[b].Value, values[b], 3e-4f);
        }
    }

    [Theory]
    [InlineData(PositionEncoding.Rotary, true)]
    [InlineData(PositionEncoding.Learned, false)]
    public void RotaryPositionsSeeOffsetsNotPlaces(PositionEncoding positions, bool shiftInvariant)
    {
        // Rotary attention depends only on how far apart tokens are: moving a whole sequence along leaves every hidden
        // state as it was; a learned position table does not.
        using var model = TinyModel(seed: 5, positions: positions);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var prompt = Prompt(16, 17, 18, 19, 20, 21);
        var ids = tensor(prompt.Select(t => (long)t).ToArray(), new long[] { 1, prompt.Length });
        var at0 = arange(0, prompt.Length, dtype: ScalarType.Int64).unsqueeze(0);
        var hidden0 = model.Hidden(ids, at0, attendMask: null);
        var hidden7 = model.Hidden(ids, at0 + 7, attendMask: null);
        Assert.Equal(shiftInvariant, hidden0.allclose(hidden7, rtol: 1e-4, atol: 1e-5));
        // Yet positions matter: twice the distances between the same tokens give other hidden states.
        var stretched = model.Hidden(ids, at0 * 2, attendMask: null);
        Assert.False(hidden0.allclose(stretched, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void GreedyDecodingDoesNotDependOnTheRestOfTheBatch()
    {
        using var model = TinyModel(seed: 5);
        var g = Grammar();
        var batch = PolicyDecoder.Generate(model, g, Prompts, new DecodeOptions(Greedy: true));
        for (int b = 0; b < Prompts.Length; b++)
        {
            var alone = PolicyDecoder.Generate(model, g, [Prompts[b]], new DecodeOptions(Greedy: true))[0];
            Assert.Equal(alone.Output, batch[b].Output);
            Assert.Equal(alone.LogProb, batch[b].LogProb, 1e-4f);
            Assert.Equal(alone.Value, batch[b].Value, 1e-4f);
        }
    }

    [Fact]
    public void SeededSamplingIsReproducible()
    {
        using var model = TinyModel();
        var g = Grammar();
        GenerationResult[] Run(ulong seed)
        {
            using var gen = new Generator(seed, CPU);
            return PolicyDecoder.Generate(model, g, Prompts, new DecodeOptions(Temperature: 1.5), gen);
        }
        var a = Run(3);
        var b = Run(3);
        Assert.Equal(a.Select(r => string.Join(",", r.Output)), b.Select(r => string.Join(",", r.Output)));
    }

    [Fact]
    public void KeyedSamplingDoesNotDependOnTheRestOfTheBatch()
    {
        using var model = TinyModel(seed: 5);
        var g = Grammar();
        var options = new DecodeOptions(Temperature: 1.5);
        var keys = Enumerable.Range(0, Prompts.Length).Select(i => SampleStream.DecisionKey(40 + i, 7)).ToArray();
        using var gen = new Generator(1, CPU);
        var batch = PolicyDecoder.Generate(model, g, Prompts, options, gen, keys);
        var reversed = PolicyDecoder.Generate(model, g, Prompts.Reverse().ToArray(), options, gen, keys.Reverse().ToArray());
        for (int b = 0; b < Prompts.Length; b++)
        {
            var alone = PolicyDecoder.Generate(model, g, [Prompts[b]], options, gen, [keys[b]])[0];
            Assert.Equal(alone.Output, batch[b].Output);
            Assert.Equal(alone.Output, reversed[Prompts.Length - 1 - b].Output);
            Assert.Equal(alone.LogProb, batch[b].LogProb, 1e-4f);
        }
        // The keys decide the draws: one prompt under 32 keys does not always give the same output.
        var outputs = Enumerable.Range(0, 32)
            .Select(k => string.Join(",", PolicyDecoder.Generate(model, g, [Prompts[0]], options, null, [SampleStream.DecisionKey(k, 0)])[0].Output))
            .Distinct().Count();
        Assert.True(outputs > 1, "32 keys gave one output");
        Assert.Throws<ArgumentException>(() => PolicyDecoder.Generate(model, g, Prompts, options, null, keys.Take(2).ToArray()));
    }

    [Fact]
    public void SampleStreamUniformsAreUniformAndDifferByKeyStepAndToken()
    {
        var deciles = new int[10];
        const int draws = 100_000;
        var seen = new HashSet<float>();
        for (int i = 0; i < draws; i++)
        {
            // Consecutive episodes, steps and tokens: the inputs a run feeds it.
            float u = SampleStream.Uniform(SampleStream.DecisionKey(i / 1000, i % 1000 / 4), i % 4);
            Assert.InRange(u, 0f, 0.99999995f);
            deciles[(int)(u * 10)]++;
            seen.Add(u);
        }
        foreach (int count in deciles) Assert.InRange(count, draws / 10 - 5 * 95, draws / 10 + 5 * 95); // 5 sigma
        Assert.True(seen.Count > draws * 0.99, $"only {seen.Count} distinct uniforms in {draws}");
        Assert.NotEqual(SampleStream.DecisionKey(1, 2), SampleStream.DecisionKey(2, 1));
        Assert.NotEqual(SampleStream.Uniform(5, 0), SampleStream.Uniform(5, 1));
    }

    [Fact]
    public void SamplingDrawsEachTokenAtItsProbabilityAndNeverAForbiddenOne()
    {
        // Two rows: forbidden tokens (probability 0) at the start, between and at the end of the allowed ones, and
        // probabilities that differ enough that a wrong CDF (off by one token, or unnormalised) shows in 40,000 draws.
        float[][] probs =
        [
            [0f, 0.5f, 0f, 0.3f, 0.2f, 0f],
            [0f, 0f, 0.05f, 0f, 0f, 0.95f],
        ];
        const int draws = 40_000;
        var rows = Enumerable.Range(0, draws).Select(i => probs[i % 2]).SelectMany(r => r).ToArray();
        using var logp = torch.tensor(rows, new long[] { draws, 6 }).log().clamp_min(PolicyDecoder.MaskedLogit);
        using var gen = new Generator(11, CPU);
        using var chosen = PolicyDecoder.SampleRows(logp, gen);
        var picks = chosen.data<long>().ToArray();
        var counts = new int[2, 6];
        for (int i = 0; i < draws; i++) counts[i % 2, picks[i]]++;
        for (int r = 0; r < 2; r++)
        for (int t = 0; t < 6; t++)
        {
            double n = draws / 2, p = probs[r][t];
            if (p == 0) Assert.Equal(0, counts[r, t]);
            else Assert.InRange(counts[r, t], n * p - 5 * Math.Sqrt(n * p * (1 - p)), n * p + 5 * Math.Sqrt(n * p * (1 - p)));
        }
    }

    [Fact]
    public void RejectsPromptsThatDoNotFit()
    {
        using var model = TinyModel();
        var g = Grammar();
        var tooLong = Enumerable.Repeat(16, model.Config.MaxContext).ToArray();
        Assert.Contains("exceeds MaxContext", Assert.Throws<ArgumentException>(() => PolicyDecoder.Generate(model, g, [tooLong])).Message);
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentException>(() => PolicyDecoder.Generate(model, g, [new[] { 1, 99 }])).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => PolicyDecoder.Generate(model, g, [Array.Empty<int>()])).Message);
    }

    /// <summary>
    /// Log-probs of output tokens against a hand computation: run the model over prompt+output,
    /// take the logits that predict each output token, mask them to the grammar's allowed set and
    /// log-softmax in double precision. Prompt tokens are never scored.
    /// </summary>
    [Fact]
    public void ScoresMatchManualMaskedLogSoftmaxAndSkipThePrompt()
    {
        using var model = TinyModel(seed: 9);
        var g = Grammar(maxPlanTokens: 3);
        int[] promptA = Prompt(16, 17, 18), outputA = [Plan, 9, 10, PlanEnd, Act, 14];
        int[] promptB = Prompt(20, 21, 22, 23, 16, 17), outputB = [Act, 13];
        using var scores = PolicyScorer.Score(model, g, [promptA, promptB], [outputA, outputB], temperature: 0.5);
        Assert.Equal(new long[] { 2, outputA.Length }, scores.TokenLogProbs.shape);
        var tokenLp = scores.TokenLogProbs.data<float>().ToArray();
        var mask = scores.OutputMask.data<float>().ToArray();

        foreach (var (row, prompt, output) in new[] { (0, promptA, outputA), (1, promptB, outputB) })
        {
            var manual = ManualLogProbs(model, g, prompt, output, temperature: 0.5);
            for (int j = 0; j < outputA.Length; j++)
            {
                float got = tokenLp[row * outputA.Length + j];
                if (j < output.Length)
                {
                    Assert.Equal(1f, mask[row * outputA.Length + j]);
                    Assert.Equal(manual[j], got, 1e-4);
                }
                else
                {
                    Assert.Equal(0f, mask[row * outputA.Length + j]);
                    Assert.Equal(0f, got);
                }
            }
            Assert.Equal(manual.Sum(), scores.SumLogProbs.data<float>()[row], 1e-4);
        }
        // Forced tokens (</plan> after 3 plan tokens is not forced here, but <act> after </plan> is) have log-prob 0.
        Assert.Equal(0f, tokenLp[4]);
    }

    private static double[] ManualLogProbs(PolicyModel model, OutputGrammar g, int[] prompt, int[] output, double temperature)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var seq = prompt.Concat(output).Select(t => (long)t).ToArray();
        var ids = tensor(seq, new long[] { 1, seq.Length });
        var pos = arange(seq.Length, dtype: ScalarType.Int64).unsqueeze(0);
        var causal = ones(seq.Length, seq.Length, dtype: ScalarType.Bool).tril();
        var logits = model.Logits(model.Hidden(ids, pos, causal)).squeeze(0); // [L, V]
        var states = g.StatesFor(output);
        var result = new double[output.Length];
        for (int j = 0; j < output.Length; j++)
        {
            var row = logits[prompt.Length - 1 + j].data<float>().ToArray().Select(x => x / temperature).ToArray();
            var allowed = g.Allowed[(int)states[j]];
            double max = row.Where((_, t) => allowed[t]).Max();
            double lse = max + Math.Log(row.Where((_, t) => allowed[t]).Sum(x => Math.Exp(x - max)));
            result[j] = row[output[j]] - lse;
        }
        return result;
    }

    [Fact]
    public void EntropyIsOverTheAllowedTokensOnly()
    {
        using var model = TinyModel(seed: 2);
        var g = Grammar();
        using var scores = PolicyScorer.Score(model, g, [Prompt(16)], [new[] { Plan, 9, PlanEnd, Act, 13 }]);
        var ent = scores.TokenEntropy.data<float>().ToArray();
        Assert.InRange(ent[0], 0, Math.Log(2) + 1e-5);          // <plan> or <act>
        Assert.InRange(ent[1], 0, Math.Log(6) + 1e-5);          // 4 words, ';', </plan>
        Assert.Equal(0f, ent[3], 1e-6);                         // <act> forced
        Assert.InRange(ent[4], 0, Math.Log(3) + 1e-5);          // 3 actions
        Assert.Equal(ent.Sum(), scores.SumEntropy.item<float>(), 1e-5);
    }

    [Fact]
    public void ScoringRejectsOutputsOutsideTheGrammar()
    {
        using var model = TinyModel();
        var e = Assert.Throws<ArgumentException>(() => PolicyScorer.Score(model, Grammar(), [Prompt(16), Prompt(17)], [new[] { Act, 13 }, new[] { Act, Plan }]));
        Assert.Contains("output 1", e.Message);
    }

    [CudaFact]
    public void CudaDecodingMatchesCpu()
    {
        using var cpu = TinyModel(seed: 4);
        using var gpu = new PolicyModel(cpu.Config, CUDA, seed: 4);
        var g = Grammar();
        var a = PolicyDecoder.Generate(cpu, g, Prompts, new DecodeOptions(Greedy: true));
        var b = PolicyDecoder.Generate(gpu, g, Prompts, new DecodeOptions(Greedy: true));
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].Output, b[i].Output);
            Assert.Equal(a[i].LogProb, b[i].LogProb, 1e-3f);
        }
    }

    [CudaFact]
    public void CudaSamplingWithAGeneratorMatchesCpu()
    {
        // TorchSharp's generators are CPU generators (a CUDA draw with one throws in libtorch): the decoder draws its
        // uniforms on the CPU, so one seed samples the same outputs on either device.
        using var cpu = TinyModel(seed: 4);
        using var gpu = new PolicyModel(cpu.Config, CUDA, seed: 4);
        var g = Grammar();
        using var genCpu = new Generator(11, CPU);
        using var genGpu = new Generator(11, CUDA);
        var a = PolicyDecoder.Generate(cpu, g, Prompts, DecodeOptions.Default, genCpu);
        var b = PolicyDecoder.Generate(gpu, g, Prompts, DecodeOptions.Default, genGpu);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].Output, b[i].Output);
            Assert.Equal(a[i].LogProb, b[i].LogProb, 1e-3f);
        }
    }
}
