namespace Rollouts.Grains;

/// <summary>Crafter's score: the geometric mean of the 22 achievement success rates (in %), as the Crafter paper defines it.</summary>
public static class CrafterScore
{
    public const int Achievements = 22;

    /// <summary>Success rate (%) of each achievement over <paramref name="episodes"/> episodes, from unlock counts.</summary>
    public static double[] Rates(IReadOnlyList<long> unlockCounts, long episodes)
    {
        var rates = new double[Achievements];
        if (episodes <= 0) return rates;
        for (int i = 0; i < Achievements; i++) rates[i] = 100.0 * unlockCounts[i] / episodes;
        return rates;
    }

    /// <summary>exp(mean(ln(1 + s_i))) - 1 over the success rates s_i in %.</summary>
    public static double Score(IReadOnlyList<double> ratesPercent)
    {
        if (ratesPercent.Count == 0) return 0;
        double sum = 0;
        foreach (double s in ratesPercent) sum += Math.Log(1 + s);
        return Math.Exp(sum / ratesPercent.Count) - 1;
    }

    /// <summary>Adds an episode's achievement bitmask to per-achievement unlock counts.</summary>
    public static void Count(uint achievements, long[] counts)
    {
        for (int i = 0; i < Achievements; i++)
            if ((achievements & (1u << i)) != 0) counts[i]++;
    }
}
