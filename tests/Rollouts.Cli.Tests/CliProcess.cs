using System.Diagnostics;
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

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "rollouts.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
