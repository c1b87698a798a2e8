namespace Rollouts.Policy;

/// <summary>
/// Chooses, step by step, whether a batch runs whole (on libtorch's intra-op threads) or split over
/// <see cref="GradientShards"/>, by the time per token each way took. Both take the same step (up to float rounding), but
/// which is faster depends on the machine: on one 2-core host the shards ran the SFT phase 1.4–1.6× as fast, on another
/// 0.9× (bench/README.md). Every <see cref="Period"/> steps a trial of <see cref="TrialSteps"/> steps alternates the two,
/// so a change in the machine's speed shifts both alike, and the rest of the period runs the faster.
/// </summary>
internal sealed class ShardingChoice
{
    /// <summary>Steps between the starts of two trials.</summary>
    public const int Period = 400;
    /// <summary>Steps of each trial, half each way.</summary>
    public const int TrialSteps = 16;
    /// <summary>Untimed steps first, whole: the first steps allocate what later ones reuse.</summary>
    public const int WarmupSteps = 4;

    private long step;
    private double wholeSeconds, shardedSeconds;
    private long wholeTokens, shardedTokens;

    /// <summary>The way the steps after the last trial run (whole until the first trial has ended).</summary>
    public bool Sharded { get; private set; }

    /// <summary>Steps that ran sharded so far.</summary>
    public long ShardedSteps { get; private set; }

    /// <summary>Whether the next step runs sharded.</summary>
    public bool Next()
    {
        long inPeriod = (step - WarmupSteps) % Period;
        bool sharded = step >= WarmupSteps && inPeriod < TrialSteps ? inPeriod % 2 == 1 : Sharded;
        step++;
        if (sharded) ShardedSteps++;
        return sharded;
    }

    /// <summary>
    /// Records how long the step <see cref="Next"/> just decided took, for <paramref name="tokens"/> tokens (prompt and
    /// output); the trial's last step decides the way of the rest of the period.
    /// </summary>
    public void Record(bool sharded, double seconds, long tokens)
    {
        long decided = step - 1;
        if (decided < WarmupSteps) return;
        long inPeriod = (decided - WarmupSteps) % Period;
        if (inPeriod >= TrialSteps) return;
        if (sharded) { shardedSeconds += seconds; shardedTokens += tokens; }
        else { wholeSeconds += seconds; wholeTokens += tokens; }
        if (inPeriod != TrialSteps - 1) return;
        if (wholeTokens > 0 && shardedTokens > 0) Sharded = shardedSeconds / shardedTokens < wholeSeconds / wholeTokens;
        wholeSeconds = shardedSeconds = 0;
        wholeTokens = shardedTokens = 0;
    }
}
