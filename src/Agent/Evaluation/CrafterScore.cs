namespace Rollouts.Agent.Evaluation;

/// <summary>The Crafter paper's score: the geometric mean of the per-achievement success rates, in percent.</summary>
public static class CrafterScore
{
    /// <summary><c>exp(mean(ln(1 + s_i))) − 1</c> over success rates <c>s_i</c> in percent (0..100).</summary>
    public static double Compute(ReadOnlySpan<double> successRatesPercent)
    {
        if (successRatesPercent.Length == 0) throw new ArgumentException("No success rates.", nameof(successRatesPercent));
        double sum = 0;
        foreach (double s in successRatesPercent)
        {
            if (double.IsNaN(s) || s < 0 || s > 100) throw new ArgumentOutOfRangeException(nameof(successRatesPercent), s, "Success rates are percentages in 0..100.");
            sum += Math.Log(1 + s);
        }
        return Math.Exp(sum / successRatesPercent.Length) - 1;
    }
}
