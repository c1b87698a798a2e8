using Rollouts.Crafter;

namespace Rollouts.Agent.Evaluation;

/// <summary>What one episode produced.</summary>
/// <param name="Seed">The env seed.</param>
/// <param name="Length">Steps played.</param>
/// <param name="Return">Sum of rewards.</param>
/// <param name="Unlocked">Achievements unlocked (bit i = <see cref="Achievement"/> i).</param>
/// <param name="PlanSteps">Steps at which the agent generated a plan.</param>
/// <param name="PlanTokens">Tokens generated for plans over the episode.</param>
public sealed record EpisodeResult(long Seed, int Length, double Return, uint Unlocked, int PlanSteps, long PlanTokens)
{
    public int UnlockedCount => System.Numerics.BitOperations.PopCount(Unlocked);

    public bool Has(Achievement a) => (Unlocked & (1u << (int)a)) != 0;
}
