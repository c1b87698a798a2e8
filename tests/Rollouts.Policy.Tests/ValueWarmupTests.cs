using static Rollouts.Policy.Tests.TestVocab;
using static TorchSharp.torch;

namespace Rollouts.Policy.Tests;

/// <summary>PPO's value warm-up: a least-squares fit of the value head that leaves the policy as it was.</summary>
public class ValueWarmupTests
{
    /// <summary>Features [N, 3] from a fixed generator and targets y = x·w + b (+ noise).</summary>
    private static (Tensor X, float[] Y) Data(int n, float[] w, float b, double noise, int seed)
    {
        var random = new Random(seed);
        var x = new float[n * w.Length];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            double sum = b;
            for (int j = 0; j < w.Length; j++)
            {
                x[i * w.Length + j] = (float)(random.NextDouble() * 2 - 1);
                sum += x[i * w.Length + j] * w[j];
            }
            y[i] = (float)(sum + noise * (random.NextDouble() * 2 - 1));
        }
        return (tensor(x, new long[] { n, w.Length }), y);
    }

    [Fact]
    public void An_exact_linear_target_is_recovered_and_batches_add_up()
    {
        float[] w = [0.5f, -2f, 1.25f];
        var (x, y) = Data(200, w, b: 0.75f, noise: 0, seed: 1);
        using var _ = x;
        using var fit = new ValueHeadFit(3, ridge: 0);
        fit.Add(x.narrow(0, 0, 120), y.AsSpan(0, 120));
        fit.Add(x.narrow(0, 120, 80), y.AsSpan(120, 80));
        Assert.Equal(200, fit.Count);
        var (weight, bias) = fit.Solve();
        for (int j = 0; j < 3; j++) Assert.Equal(w[j], weight[j], 4);
        Assert.Equal(0.75f, bias, 4);
    }

    [Fact]
    public void The_ridge_fit_solves_its_normal_equations()
    {
        // Optimality of min |Xw + b - y|² + λN|w|²: Xᵀ(Xw + b - y) = -λN·w and Σ(Xw + b - y) = 0 (the bias is not shrunk).
        float[] w = [1f, -1f, 3f];
        var (x, y) = Data(300, w, b: -0.5f, noise: 0.5, seed: 2);
        using var _ = x;
        const double ridge = 0.05;
        using var fit = new ValueHeadFit(3, ridge);
        fit.Add(x, y);
        var (weight, bias) = fit.Solve();
        var xs = x.data<float>().ToArray();
        var residual = new double[300];
        for (int i = 0; i < 300; i++)
        {
            double p = bias;
            for (int j = 0; j < 3; j++) p += xs[i * 3 + j] * weight[j];
            residual[i] = p - y[i];
        }
        Assert.Equal(0, residual.Sum(), 2);
        for (int j = 0; j < 3; j++)
        {
            double g = 0;
            for (int i = 0; i < 300; i++) g += xs[i * 3 + j] * residual[i];
            Assert.Equal(-ridge * 300 * weight[j], g, 2);
        }
        // Shrunk towards zero: smaller than the unpenalised fit.
        using var plain = new ValueHeadFit(3, ridge: 0);
        plain.Add(x, y);
        var (plainWeight, _) = plain.Solve();
        Assert.True(weight.Sum(v => v * v) < plainWeight.Sum(v => v * v));
    }

    [Fact]
    public void Bad_shapes_and_an_empty_fit_are_refused()
    {
        using var fit = new ValueHeadFit(3);
        using var wrongWidth = zeros(4, 2);
        Assert.Throws<ArgumentException>(() => fit.Add(wrongWidth, new float[4]));
        using var rows = zeros(4, 3);
        Assert.Throws<ArgumentException>(() => fit.Add(rows, new float[3]));
        Assert.Throws<InvalidOperationException>(() => fit.Solve());
        Assert.Throws<ArgumentException>(() => new ValueHeadFit(0));
        Assert.Throws<ArgumentException>(() => new ValueHeadFit(3, ridge: -1));
    }

    [Fact]
    public void Warm_up_fits_the_value_head_and_leaves_the_policy_unchanged()
    {
        using var model = TinyModel(seed: 6);
        var g = Grammar();
        model.SetValueHead(new float[model.Config.DModel], 0f);
        var prompts = new[] { Prompt(16), Prompt(17), Prompt(16, 17), Prompt(17, 17), Prompt(16, 16, 17), Prompt(17, 16) };
        var outputs = new[] { new[] { Act, 13 }, new[] { Act, 14 }, new[] { Plan, 9, PlanEnd, Act, 15 }, new[] { Act, 13 }, new[] { Act, 14 }, new[] { Act, 15 } };
        float[] returns = [1f, -0.5f, 2f, 0.25f, 1.5f, -1f];
        (float[] LogProbs, float[] Values) Score()
        {
            using var _ = no_grad();
            using var s = PolicyScorer.Score(model, g, prompts, outputs);
            return (s.SumLogProbs.data<float>().ToArray(), s.Values.data<float>().ToArray());
        }
        var (logProbs, values) = Score();
        Assert.All(values, v => Assert.Equal(0f, v));
        var batch = new PpoBatch(prompts, outputs, logProbs, values, new float[6], returns);
        using var trainer = new PpoTrainer(model, g, new PpoOptions { MinibatchSize = 4 });
        var stats = trainer.WarmUpValue(batch);

        var (logProbsAfter, valuesAfter) = Score();
        Assert.Equal(logProbs, logProbsAfter);
        Assert.Equal(0, trainer.Step); // no optimizer step
        // The fit is at least as good as the zero head it replaced (zero is a candidate with no penalty) ...
        double fitted = 0.5 * valuesAfter.Zip(returns, (v, r) => (v - r) * (v - r)).Average();
        double zero = 0.5 * returns.Average(r => r * r);
        Assert.True(fitted < zero, $"fitted {fitted} vs zero head {zero}");
        // ... and what the stats report is the loss of the head now in the model.
        Assert.Equal(fitted, stats.VLoss, 4);
        Assert.Equal(0, stats.PgLoss);
    }
}
