using Spectre.Console;

namespace Rollouts.Cli;

/// <summary>The Spectre console the commands draw on: colours and live progress only when a person is watching.</summary>
internal static class CliConsole
{
    public static IAnsiConsole Create(TextWriter stdout, bool interactive) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(stdout),
        Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
        Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
    });
}
