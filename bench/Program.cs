using Rollouts.Bench;

// Benchmarks print key=value lines so scripts can read them; see bench/README.md for the numbers.
string suite = args.Length > 0 ? args[0] : "crafter";
double seconds = 3;
int threads = 1;            // policy: libtorch threads
string model = "default";   // policy: default (d128x4), quick (configs/quick.yaml's d64x2) or dWIDTHxLAYERS
int batch = 64;             // policy: prompts per generation call
string positions = "rotary"; // policy: rotary or learned position embeddings
string planning = "policy";  // policy: who decides to plan in the inference measurement (policy, never, always)
string device = "cpu";       // policy: cpu, cuda or auto (cuda where there is one)
int matmulN = 0;             // policy: N of the yardstick matmul (0: 1024 on the CPU, 8192 on a GPU, whose peak small ones miss)
for (int i = 1; i < args.Length; i++)
{
    if (args[i] == "--seconds" && i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0)
    {
        seconds = s;
        i++;
    }
    else if (suite == "policy" && args[i] == "--threads" && i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t > 0)
    {
        threads = t;
        i++;
    }
    else if (suite == "policy" && args[i] == "--batch" && i + 1 < args.Length && int.TryParse(args[i + 1], out int b) && b > 0)
    {
        batch = b;
        i++;
    }
    else if (suite == "policy" && args[i] == "--model" && i + 1 < args.Length && PolicyBench.IsKnownShape(args[i + 1]))
    {
        model = args[i + 1];
        i++;
    }
    else if (suite == "policy" && args[i] == "--positions" && i + 1 < args.Length && args[i + 1] is "rotary" or "learned")
    {
        positions = args[i + 1];
        i++;
    }
    else if (suite == "policy" && args[i] == "--planning" && i + 1 < args.Length && args[i + 1] is "policy" or "never" or "always")
    {
        planning = args[i + 1];
        i++;
    }
    else if (suite == "policy" && args[i] == "--device" && i + 1 < args.Length && args[i + 1] is "cpu" or "cuda" or "auto")
    {
        device = args[i + 1];
        i++;
    }
    else if (suite == "policy" && args[i] == "--matmul-n" && i + 1 < args.Length && int.TryParse(args[i + 1], out int n) && n > 0)
    {
        matmulN = n;
        i++;
    }
    else
    {
        string[] flags = ["--seconds", "--threads", "--batch", "--model", "--positions", "--planning", "--device", "--matmul-n"];
        string problem = flags.Contains(args[i])
            ? (i + 1 < args.Length ? $"'{args[i + 1]}' is not a valid value for {args[i]}" : $"{args[i]} needs a value")
            : $"unknown argument '{args[i]}'";
        Console.Error.WriteLine($"error: {problem}. Usage: rollouts-bench crafter [--seconds S] | rollouts-bench policy [--seconds S] [--threads N] [--batch B] [--model default|quick|dWIDTHxLAYERS] [--positions rotary|learned] [--planning policy|never|always] [--device cpu|cuda|auto] [--matmul-n N]");
        return 2;
    }
}

switch (suite)
{
    case "crafter":
        CrafterBenchmark.Run(seconds, Console.Out);
        return 0;
    case "policy":
        return PolicyBench.Run(seconds, threads, model, batch, positions, planning, device, matmulN, Console.Out, Console.Error);
    default:
        Console.Error.WriteLine($"error: unknown benchmark '{suite}'. Known: crafter, policy");
        return 2;
}
