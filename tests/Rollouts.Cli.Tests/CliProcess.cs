using System.Reflection;

namespace Rollouts.Cli.Tests;

[AttributeUsage(AttributeTargets.Assembly)]
public sealed class SharedDirectoryAttribute(string path) : Attribute
{
    public string Path { get; } = path;
}

/// <summary>Runs the real <c>rollouts</c> console (the built rollouts.dll) as a child process.</summary>
internal static class CliProcess
{
    public static string SharedRoot => Environment.GetEnvironmentVariable("ROLLOUTS_SHARED") is { Length: > 0 } env
        ? env
        : typeof(CliProcess).Assembly.GetCustomAttribute<SharedDirectoryAttribute>()!.Path;

    public static string TracesDirectory => Path.Combine(SharedRoot, "crafter", "traces");

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => Rollouts.Tests.Shared.RolloutsProcess.Run(args);
}
