using System.CommandLine;
using Rollouts.Crafter.Traces;

namespace Rollouts.Cli;

/// <summary><c>rollouts crafter ...</c>: tools for the Crafter port (trace verification, episodes, rendering).</summary>
internal static class CrafterCommands
{
    public static Command Create()
    {
        var crafter = new Command("crafter", "Tools for the C# Crafter port.");
        crafter.Subcommands.Add(Verify());
        crafter.Subcommands.Add(RenderCommand.Create());
        return crafter;
    }

    private static Command Verify()
    {
        var files = new Argument<string[]>("FILE") { Description = "Trace files (episode or world dumps, gzip'd JSON lines).", Arity = ArgumentArity.OneOrMore };
        var noPixels = new Option<bool>("--no-pixels") { Description = "Skip rendering; by default every frame is rendered and its pixel sum compared with the trace's obs_sum (reported beside the verdict)." };
        var command = new Command("verify", "Replay reference traces and report whether the port is identical at every step.");
        command.Arguments.Add(files);
        command.Options.Add(noPixels);
        command.SetAction(parse =>
        {
            string[] paths = parse.GetValue(files) ?? [];
            bool comparePixels = !parse.GetValue(noPixels);
            int identical = 0;
            foreach (string path in paths)
            {
                try
                {
                    var result = TraceVerifier.Verify(path, comparePixels);
                    string frames = result.FramesCompared > 0
                        ? $" (pixels: {result.FramesIdentical}/{result.FramesCompared} frames identical, largest sum difference {result.LargestFrameDifference})"
                        : "";
                    string unit = result.Kind == "worlds" ? "worlds" : "steps";
                    if (result.Identical)
                    {
                        identical++;
                        Console.WriteLine($"{path}: identical ({result.Checked} {unit}){frames}");
                    }
                    else
                    {
                        Console.WriteLine($"{path}: differs at {result.FirstDifference}{frames}");
                    }
                }
                catch (TraceFormatException e)
                {
                    Console.WriteLine($"{path}: error: {e.Message}");
                }
            }
            Console.WriteLine($"{identical}/{paths.Length} traces identical");
            return identical == paths.Length ? 0 : 1;
        });
        return command;
    }
}
