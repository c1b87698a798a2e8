using System.Diagnostics;

namespace Rollouts.Tests.Shared;

/// <summary>Runs the real <c>rollouts</c> console (the rollouts.dll built next to the test assembly) as a child process.
/// Linked into the test projects that drive the console from outside.</summary>
internal static class RolloutsProcess
{
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
