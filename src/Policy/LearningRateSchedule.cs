namespace Rollouts.Policy;

/// <summary>Learning-rate multipliers as functions of how far along training is.</summary>
public static class LearningRateSchedule
{
    /// <summary>
    /// Constant, then a linear fall to zero over the last <paramref name="decayShare"/> of training ("warmup-stable-decay"
    /// without the warm-up): 1 while <paramref name="progress"/> ≤ 1 − share, then (1 − progress) / share, 0 from 1 on.
    /// A share of 0 is the constant schedule.
    /// </summary>
    /// <param name="progress">Fraction of the training done before this step, in [0, 1] (larger values count as 1).</param>
    /// <param name="decayShare">Fraction at the end over which the rate falls, in [0, 1].</param>
    public static double DecayingTail(double progress, double decayShare)
    {
        if (double.IsNaN(progress) || progress < 0) throw new ArgumentOutOfRangeException(nameof(progress), progress, "must be a number >= 0");
        if (decayShare is < 0 or > 1 || double.IsNaN(decayShare)) throw new ArgumentOutOfRangeException(nameof(decayShare), decayShare, "must be in [0, 1]");
        if (decayShare == 0) return 1.0;
        if (progress >= 1) return 0.0;
        return Math.Min(1.0, (1.0 - progress) / decayShare);
    }
}
