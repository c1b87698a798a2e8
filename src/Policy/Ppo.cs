using TorchSharp;
using static TorchSharp.torch;

namespace Rollouts.Policy;

/// <summary>The clipped surrogate objective and its diagnostics.</summary>
/// <param name="Loss">pg_loss = mean(max(-A·ratio, -A·clip(ratio, 1-ε, 1+ε))) (scalar, with graph).</param>
/// <param name="OldApproxKl">mean(-log ratio) (no graph).</param>
/// <param name="ApproxKl">mean((ratio - 1) - log ratio), the low-variance estimator (no graph).</param>
/// <param name="ClipFraction">Share of samples with |ratio - 1| &gt; ε (no graph).</param>
public sealed record SurrogateLoss(Tensor Loss, float OldApproxKl, float ApproxKl, float ClipFraction);

/// <summary>
/// PPO math, CleanRL-style (vwxyzjn/cleanrl ppo.py), every term named as in Schulman et al. 2017.
/// Here one PPO "action" is a whole generated output (plan tokens + action token); its
/// log-probability is the sum over the generated tokens.
/// </summary>
public static class Ppo
{
    /// <summary>
    /// Generalized Advantage Estimation over the env steps of one environment.
    /// <c>dones[t]</c> is true when the transition taken at step t ended the episode (the next observation
    /// starts a new one), so nothing is bootstrapped across it. <paramref name="lastValue"/> is V of the
    /// observation after the last step (ignored when the last step is done).
    /// <code>
    /// nextnonterminal_t = 1 - dones[t]
    /// nextvalue_t       = t == T-1 ? lastValue : values[t+1]
    /// delta_t           = rewards[t] + gamma · nextvalue_t · nextnonterminal_t - values[t]
    /// A_t               = delta_t + gamma · lambda · nextnonterminal_t · A_{t+1}
    /// returns_t         = A_t + values[t]
    /// </code>
    /// </summary>
    public static (float[] Advantages, float[] Returns) Gae(ReadOnlySpan<float> rewards, ReadOnlySpan<float> values,
        ReadOnlySpan<bool> dones, float lastValue, double gamma, double lambda)
    {
        int n = rewards.Length;
        if (values.Length != n || dones.Length != n)
            throw new ArgumentException($"GAE needs equally long rewards ({n}), values ({values.Length}) and dones ({dones.Length}).");
        if (gamma is < 0 or > 1) throw new ArgumentException($"gamma must be in [0, 1], got {gamma}.");
        if (lambda is < 0 or > 1) throw new ArgumentException($"lambda must be in [0, 1], got {lambda}.");
        var advantages = new float[n];
        var returns = new float[n];
        double lastgaelam = 0;
        for (int t = n - 1; t >= 0; t--)
        {
            double nextnonterminal = dones[t] ? 0.0 : 1.0;
            double nextvalues = t == n - 1 ? lastValue : values[t + 1];
            double delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t];
            lastgaelam = delta + gamma * lambda * nextnonterminal * lastgaelam;
            advantages[t] = (float)lastgaelam;
            returns[t] = (float)(lastgaelam + values[t]);
        }
        return (advantages, returns);
    }

    /// <summary>
    /// The planning cost: r'_t = r_t - planning_cost_coef · plan_tokens_t, where plan_tokens_t counts
    /// the tokens of step t's plan (&lt;plan&gt; … &lt;/plan&gt;, 0 when it acted without planning).
    /// </summary>
    public static float[] ApplyPlanningCost(ReadOnlySpan<float> rewards, ReadOnlySpan<int> planTokens, double planningCostCoef)
    {
        if (planTokens.Length != rewards.Length)
            throw new ArgumentException($"{rewards.Length} rewards but {planTokens.Length} plan-token counts.");
        if (planningCostCoef < 0) throw new ArgumentException($"planning cost coefficient must be >= 0, got {planningCostCoef}.");
        var result = new float[rewards.Length];
        for (int t = 0; t < rewards.Length; t++)
            result[t] = (float)(rewards[t] - planningCostCoef * planTokens[t]);
        return result;
    }

    /// <summary>
    /// The per-env-step pipeline of one environment's trajectory: subtract the planning cost
    /// (<see cref="PpoOptions.PlanningCostCoef"/> per plan token) from the rewards, then GAE with
    /// <see cref="PpoOptions.Gamma"/> and <see cref="PpoOptions.GaeLambda"/>. Returns the shaped rewards too.
    /// </summary>
    public static (float[] Advantages, float[] Returns, float[] Rewards) Advantages(ReadOnlySpan<float> rewards,
        ReadOnlySpan<int> planTokens, ReadOnlySpan<float> values, ReadOnlySpan<bool> dones, float lastValue, PpoOptions options)
    {
        var shaped = ApplyPlanningCost(rewards, planTokens, options.PlanningCostCoef);
        var (advantages, returns) = Gae(shaped, values, dones, lastValue, options.Gamma, options.GaeLambda);
        return (advantages, returns, shaped);
    }

    /// <summary>
    /// Clipped surrogate objective, as a loss to minimise:
    /// ratio = exp(newlogprob - oldlogprob); pg_loss = mean(max(-A·ratio, -A·clip(ratio, 1-clip_coef, 1+clip_coef))).
    /// Where the clipped term is the larger one the sample contributes no gradient.
    /// </summary>
    public static SurrogateLoss ClippedSurrogate(Tensor newLogProb, Tensor oldLogProb, Tensor advantages, double clipCoef)
    {
        if (!(clipCoef > 0)) throw new ArgumentException($"clip_coef must be positive, got {clipCoef}.");
        using var scope = torch.NewDisposeScope();
        using Scalar clip = clipCoef, low = 1 - clipCoef, high = 1 + clipCoef; // held through every call (HeldScalars)
        var logratio = newLogProb - oldLogProb;
        var ratio = logratio.exp();
        float oldApproxKl, approxKl, clipfrac;
        using (torch.no_grad())
        {
            oldApproxKl = (-logratio).mean().item<float>();
            approxKl = ratio.sub(HeldScalars.One).sub_(logratio).mean().item<float>();
            clipfrac = ratio.sub(HeldScalars.One).abs().gt(clip).to_type(ScalarType.Float32).mean().item<float>();
        }
        var pg_loss1 = -advantages * ratio;
        var pg_loss2 = -advantages * torch.clamp(ratio, low, high);
        var pg_loss = torch.maximum(pg_loss1, pg_loss2).mean();
        return new SurrogateLoss(pg_loss.MoveToOuterDisposeScope(), oldApproxKl, approxKl, clipfrac);
    }

    /// <summary>
    /// Value loss: 0.5 · mean((V - R)²), or with clipping (<paramref name="clipCoef"/> not null)
    /// 0.5 · mean(max((V - R)², (V_old + clip(V - V_old, -c, c) - R)²)).
    /// </summary>
    public static Tensor ValueLoss(Tensor newValues, Tensor oldValues, Tensor returns, double? clipCoef)
    {
        using var scope = torch.NewDisposeScope();
        var error = newValues - returns;
        var v_loss_unclipped = error * error;
        Tensor v_loss;
        if (clipCoef is double c)
        {
            using Scalar low = -c, high = c; // held through every call (HeldScalars)
            var v_clipped = oldValues.add(torch.clamp(newValues - oldValues, low, high), HeldScalars.One);
            var clippedError = v_clipped - returns;
            var v_loss_clipped = clippedError * clippedError;
            v_loss = torch.maximum(v_loss_unclipped, v_loss_clipped).mean().mul(HeldScalars.Half);
        }
        else
        {
            v_loss = v_loss_unclipped.mean().mul(HeldScalars.Half);
        }
        return v_loss.MoveToOuterDisposeScope();
    }

    /// <summary>Entropy bonus: mean over the batch of each output's entropy (subtracted from the loss, times ent_coef).</summary>
    public static Tensor EntropyBonus(Tensor entropy) => entropy.mean();

    /// <summary>
    /// KL penalty to a reference (SFT) policy, estimated on the sampled tokens with the non-negative
    /// estimator k3 = exp(r) - 1 - r, r = log π_ref(token) - log π(token); summed over each output's
    /// tokens and averaged over the batch. Gradients flow through <paramref name="tokenLogProbs"/> only.
    /// </summary>
    public static Tensor KlToReference(Tensor tokenLogProbs, Tensor refTokenLogProbs, Tensor outputMask)
    {
        using var scope = torch.NewDisposeScope();
        var r = refTokenLogProbs.detach() - tokenLogProbs;
        var k3 = r.exp().sub(HeldScalars.One).sub(r) * outputMask;
        return k3.sum(1).mean().MoveToOuterDisposeScope();
    }

    /// <summary>(A - mean(A)) / (std(A) + 1e-8); returned unchanged for fewer than 2 samples.</summary>
    public static Tensor NormalizeAdvantages(Tensor advantages)
    {
        if (advantages.numel() < 2) return advantages.alias();
        return (advantages - advantages.mean()) / advantages.std().add(HeldScalars.AdvantageEps, HeldScalars.One);
    }

    /// <summary>1 - Var(returns - values) / Var(returns); NaN when the returns do not vary.</summary>
    public static double ExplainedVariance(ReadOnlySpan<float> values, ReadOnlySpan<float> returns)
    {
        if (values.Length != returns.Length) throw new ArgumentException("values and returns differ in length.");
        int n = values.Length;
        if (n == 0) return double.NaN;
        double meanY = 0, meanD = 0;
        for (int i = 0; i < n; i++) { meanY += returns[i]; meanD += returns[i] - values[i]; }
        meanY /= n; meanD /= n;
        double varY = 0, varD = 0;
        for (int i = 0; i < n; i++)
        {
            varY += (returns[i] - meanY) * (returns[i] - meanY);
            double d = returns[i] - values[i] - meanD;
            varD += d * d;
        }
        return varY == 0 ? double.NaN : 1 - varD / varY;
    }
}
