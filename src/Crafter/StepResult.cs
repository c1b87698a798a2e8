namespace Rollouts.Crafter;

/// <summary>What one <see cref="CrafterEnv.Step"/> returns; the rest of Crafter's <c>info</c> is read from the env.</summary>
/// <param name="Reward">Health change / 10, plus 1 for each step that unlocks a new achievement.</param>
/// <param name="Done">The player died or the episode reached its length.</param>
/// <param name="Discount">0 when the player died, else 1.</param>
/// <param name="Unlocked">Bit i set when achievement i was unlocked for the first time this episode at this step.</param>
public readonly record struct StepResult(double Reward, bool Done, double Discount, uint Unlocked)
{
    public bool HasUnlocked(Achievement achievement) => (Unlocked & (1u << (int)achievement)) != 0;
}
