using TorchSharp;
using static Rollouts.Policy.Tests.TestVocab;
using static TorchSharp.torch;

namespace Rollouts.Policy.Tests;

public class PpoTests
{
    /// <summary>
    /// gamma 0.9, lambda 0.8 (gamma·lambda = 0.72), one environment, 4 steps, the episode ends with step 1:
    /// rewards [1, 0, 2, 1], values [0.5, 0.4, 0.3, 0.2], dones [F, T, F, F], lastValue 0.6.
    /// <code>
    /// t=3: delta = 1 + 0.9·0.6·1 − 0.2 = 1.34                      A3 = 1.34
    /// t=2: delta = 2 + 0.9·0.2·1 − 0.3 = 1.88                      A2 = 1.88 + 0.72·1.34 = 2.8448
    /// t=1: done → delta = 0 + 0 − 0.4 = −0.4, no carry from t=2    A1 = −0.4
    /// t=0: delta = 1 + 0.9·0.4·1 − 0.5 = 0.86                      A0 = 0.86 + 0.72·(−0.4) = 0.572
    /// returns = A + V = [1.072, 0.0, 3.1448, 1.54]
    /// </code>
    /// </summary>
    [Fact]
    public void GaeWithADoneInTheMiddleMatchesHandComputation()
    {
        var (adv, ret) = Ppo.Gae([1f, 0f, 2f, 1f], [0.5f, 0.4f, 0.3f, 0.2f], [false, true, false, false], lastValue: 0.6f, gamma: 0.9, lambda: 0.8);
        Assert.Equal(new[] { 0.572, -0.4, 2.8448, 1.34 }, adv.Select(a => Math.Round(a, 5)));
        Assert.Equal(new[] { 1.072, 0.0, 3.1448, 1.54 }, ret.Select(r => Math.Round(r, 5)));
    }

    /// <summary>
    /// Terminal last step: lastValue is ignored. gamma 0.5, lambda 1 (Monte-Carlo returns), values 0:
    /// rewards [1, 1, 1], dones [F, F, T] → returns [1 + 0.5·1.5, 1 + 0.5·1, 1] = [1.75, 1.5, 1].
    /// </summary>
    [Fact]
    public void GaeIgnoresLastValueAfterATerminalStep()
    {
        var (adv, ret) = Ppo.Gae([1f, 1f, 1f], [0f, 0f, 0f], [false, false, true], lastValue: 100f, gamma: 0.5, lambda: 1.0);
        Assert.Equal(new[] { 1.75f, 1.5f, 1f }, ret);
        Assert.Equal(ret, adv);
        Assert.Throws<ArgumentException>(() => Ppo.Gae([1f], [0f, 1f], [false], 0, 0.9, 0.9));
    }

    [Fact]
    public void PlanningCostIsSubtractedPerPlanToken()
    {
        // 1 − 0.01·0 = 1;  0 − 0.01·6 = −0.06;  0.5 − 0.01·3 = 0.47
        var r = Ppo.ApplyPlanningCost([1f, 0f, 0.5f], [0, 6, 3], 0.01);
        Assert.Equal(new[] { 1.0, -0.06, 0.47 }, r.Select(x => Math.Round(x, 6)));
        Assert.Equal(new[] { 1f, 0f }, Ppo.ApplyPlanningCost([1f, 0f], [5, 5], 0.0));
        Assert.Throws<ArgumentException>(() => Ppo.ApplyPlanningCost([1f], [1, 2], 0.1));
    }

    /// <summary>
    /// Planning cost then GAE, gamma 1, lambda 1, values 0, one episode of 2 steps ending at step 1:
    /// rewards [0, 1], plan tokens [5, 0], cost 0.1 → shaped [−0.5, 1] → returns [0.5, 1].
    /// </summary>
    [Fact]
    public void AdvantagesApplyThePlanningCostBeforeGae()
    {
        var options = new PpoOptions { Gamma = 1, GaeLambda = 1, PlanningCostCoef = 0.1 };
        var (adv, ret, shaped) = Ppo.Advantages([0f, 1f], [5, 0], [0f, 0f], [false, true], 0f, options);
        Assert.Equal(new[] { -0.5f, 1f }, shaped);
        Assert.Equal(new[] { 0.5f, 1f }, ret);
        Assert.Equal(ret, adv);
    }

    /// <summary>
    /// ε = 0.2, one sample per case (so the mean is the sample itself):
    /// <code>
    /// A=+1, ratio 1.5: max(−1.5, −1.2) = −1.2 (clipped)   d/dlogp = 0
    /// A=−1, ratio 0.5: max( 0.5,  0.8) =  0.8 (clipped)   d/dlogp = 0
    /// A=+1, ratio 1.1: max(−1.1, −1.1) = −1.1 (inside)    d/dlogp = −A·ratio = −1.1
    /// A=+1, ratio 0.5: max(−0.5, −0.8) = −0.5 (unclipped, pessimistic side) d/dlogp = −0.5
    /// A=−1, ratio 1.5: max( 1.5,  1.2) =  1.5 (unclipped, pessimistic side) d/dlogp = +1.5
    /// </code>
    /// </summary>
    [Theory]
    [InlineData(1.0, 1.5, -1.2, 0.0, 1f)]
    [InlineData(-1.0, 0.5, 0.8, 0.0, 1f)]
    [InlineData(1.0, 1.1, -1.1, -1.1, 0f)]
    [InlineData(1.0, 0.5, -0.5, -0.5, 1f)]
    [InlineData(-1.0, 1.5, 1.5, 1.5, 1f)]
    public void ClippedSurrogateValuesAndGradients(double advantage, double ratio, double expectedLoss, double expectedGrad, float expectedClipFrac)
    {
        var oldLogProb = tensor(new[] { -2.0f });
        var newLogProb = tensor(new[] { (float)(-2.0 + Math.Log(ratio)) }, requires_grad: true);
        var s = Ppo.ClippedSurrogate(newLogProb, oldLogProb, tensor(new[] { (float)advantage }), clipCoef: 0.2);
        Assert.Equal(expectedLoss, s.Loss.item<float>(), 1e-5);
        s.Loss.backward();
        Assert.Equal(expectedGrad, newLogProb.grad!.item<float>(), 1e-5);
        Assert.Equal(expectedClipFrac, s.ClipFraction);
        // approx_kl = (ratio − 1) − log ratio
        Assert.Equal(ratio - 1 - Math.Log(ratio), s.ApproxKl, 1e-5);
    }

    /// <summary>
    /// new V 2.0, old V 1.0, return 3.0, clip 0.2:
    /// unclipped (2−3)² = 1; clipped V = 1 + clip(1, −0.2, 0.2) = 1.2, (1.2−3)² = 3.24;
    /// loss = 0.5·max(1, 3.24) = 1.62 (the clipped term wins: no gradient to V), unclipped loss = 0.5.
    /// </summary>
    [Fact]
    public void ValueLossClippedAndUnclipped()
    {
        var v = tensor(new[] { 2.0f }, requires_grad: true);
        var clipped = Ppo.ValueLoss(v, tensor(new[] { 1.0f }), tensor(new[] { 3.0f }), 0.2);
        Assert.Equal(1.62, clipped.item<float>(), 1e-5);
        clipped.backward();
        Assert.Equal(0f, v.grad!.item<float>());
        Assert.Equal(0.5, Ppo.ValueLoss(v, tensor(new[] { 1.0f }), tensor(new[] { 3.0f }), null).item<float>(), 1e-6);
    }

    [Fact]
    public void KlToReferenceIsZeroForTheSamePolicyAndPositiveOtherwise()
    {
        var lp = tensor(new[,] { { -0.5f, -1.0f, 0f } });
        var mask = tensor(new[,] { { 1f, 1f, 0f } });
        Assert.Equal(0f, Ppo.KlToReference(lp, lp, mask).item<float>());
        // r = ref − new = [−0.5, 0.2] (third token masked): k3 = (e^−0.5 − 1 + 0.5) + (e^0.2 − 1 − 0.2)
        var reference = tensor(new[,] { { -1.0f, -0.8f, -9f } });
        double expected = Math.Exp(-0.5) - 1 + 0.5 + Math.Exp(0.2) - 1 - 0.2;
        Assert.Equal(expected, Ppo.KlToReference(lp, reference, mask).item<float>(), 1e-6);
    }

    [Fact]
    public void AdvantageNormalisationAndExplainedVariance()
    {
        var n = Ppo.NormalizeAdvantages(tensor(new[] { 1f, 2f, 3f })).data<float>().ToArray();
        Assert.Equal(new[] { -1f, 0f, 1f }, n.Select(x => MathF.Round(x, 4)));
        Assert.Equal(5f, Ppo.NormalizeAdvantages(tensor(new[] { 5f })).item<float>());
        Assert.Equal(1.0, Ppo.ExplainedVariance([1f, 2f, 3f], [1f, 2f, 3f]), 1e-9);
        Assert.Equal(0.0, Ppo.ExplainedVariance([2f, 2f, 2f], [1f, 2f, 3f]), 1e-9);
    }

    /// <summary>
    /// End to end: one prompt, two candidate outputs; the one with positive advantage should become
    /// more likely after an update, the other less likely; the first minibatch's ratio is 1 (nothing clipped).
    /// </summary>
    [Fact]
    public void UpdateRaisesTheLogProbOfPositiveAdvantageOutputs()
    {
        using var model = TinyModel(seed: 4);
        var g = Grammar();
        int[] prompt = Prompt(16, 17);
        int[] good = [Plan, 9, PlanEnd, Act, 13], bad = [Act, 15];
        var prompts = new[] { prompt, prompt, prompt, prompt };
        var outputs = new[] { good, bad, good, bad };
        float[] Old()
        {
            using var _ = no_grad();
            using var s = PolicyScorer.Score(model, g, prompts, outputs);
            return s.SumLogProbs.data<float>().ToArray();
        }
        var before = Old();
        var batch = new PpoBatch(prompts, outputs, before, [0f, 0f, 0f, 0f], [1f, -1f, 1f, -1f], [1f, -1f, 1f, -1f]);
        using var trainer = new PpoTrainer(model, g, new PpoOptions { UpdateEpochs = 3, MinibatchSize = 4, Optimizer = new OptimizerOptions(LearningRate: 3e-3, WeightDecay: 0) });
        var stats = trainer.Update(batch);
        var after = Old();
        Assert.True(after[0] > before[0], $"good: {before[0]} → {after[0]}");
        Assert.True(after[1] < before[1], $"bad: {before[1]} → {after[1]}");
        Assert.Equal(3, stats.Epochs);
        Assert.Equal(3, stats.Minibatches);
        Assert.Equal(3, trainer.Step);
        Assert.True(float.IsFinite(stats.PgLoss) && float.IsFinite(stats.VLoss) && stats.Entropy > 0);
    }

    [Fact]
    public void KlPenaltyToTheSftReferenceIsReportedAndNeedsAReference()
    {
        using var model = TinyModel(seed: 4);
        using var reference = TinyModel(seed: 4);
        var g = Grammar();
        int[] prompt = Prompt(16);
        var prompts = new[] { prompt, prompt };
        var outputs = new[] { new[] { Act, 13 }, new[] { Act, 14 } };
        float[] old;
        using (no_grad())
        using (var s = PolicyScorer.Score(model, g, prompts, outputs)) old = s.SumLogProbs.data<float>().ToArray();
        var batch = new PpoBatch(prompts, outputs, old, [0f, 0f], [1f, -1f], [1f, -1f]);
        Assert.Throws<ArgumentException>(() => new PpoTrainer(model, g, new PpoOptions { KlCoef = 0.1 }));
        using var trainer = new PpoTrainer(model, g, new PpoOptions { KlCoef = 0.1, UpdateEpochs = 2, MinibatchSize = 2 }, reference);
        var stats = trainer.Update(batch);
        Assert.True(stats.KlRef >= 0); // first minibatch: identical policies → 0; second: > 0
    }

    [Fact]
    public void TargetKlStopsEpochsEarly()
    {
        using var model = TinyModel(seed: 4);
        var g = Grammar();
        int[] prompt = Prompt(16);
        var prompts = new[] { prompt, prompt };
        var outputs = new[] { new[] { Act, 13 }, new[] { Act, 14 } };
        // Old log-probs far from the current ones → approx_kl is large in the first epoch.
        var batch = new PpoBatch(prompts, outputs, [-5f, -5f], [0f, 0f], [1f, -1f], [1f, -1f]);
        using var trainer = new PpoTrainer(model, g, new PpoOptions { UpdateEpochs = 5, MinibatchSize = 2, TargetKl = 0.01 });
        Assert.Equal(1, trainer.Update(batch).Epochs);
    }
}
