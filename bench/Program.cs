using Rollouts.Bench;

// Benchmarks print key=value lines so scripts can read them; see bench/README.md for the numbers.
string suite = args.Length > 0 ? args[0] : "crafter";
double seconds = 3;
for (int i = 1; i < args.Length; i++)
{
    if (args[i] == "--seconds" && i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0)
    {
        seconds = s;
        i++;
    }
    else
    {
        Console.Error.WriteLine($"error: unknown argument '{args[i]}'. Usage: rollouts-bench crafter [--seconds S]");
        return 2;
    }
}

switch (suite)
{
    case "crafter":
        CrafterBenchmark.Run(seconds, Console.Out);
        return 0;
    default:
        Console.Error.WriteLine($"error: unknown benchmark '{suite}'. Known: crafter");
        return 2;
}
