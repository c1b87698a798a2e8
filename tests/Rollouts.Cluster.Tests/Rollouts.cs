using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rollouts.Cluster.Tests;

/// <summary>The real <c>rollouts</c> console (the built rollouts.dll) as child processes.</summary>
internal static class Rollouts
{
    private static string Dll => Path.Combine(AppContext.BaseDirectory, "rollouts.dll");

    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Dll);
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment.Remove("ROLLOUTS_AZURE_STORAGE");
        return start;
    }

    /// <summary>Runs a command to completion (with a generous limit) and returns its exit code and output.</summary>
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"rollouts {string.Join(' ', args)} did not finish");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}

/// <summary>A silo process (<c>rollouts silo ...</c>); stopped (with its children) on dispose.</summary>
internal sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SiloProcess(params string[] args)
    {
        _process = Process.Start(Rollouts.StartInfo(["silo", .. args]))!;
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.EnableRaisingEvents = true;
        _process.Exited += (_, _) => _up.TrySetException(new InvalidOperationException($"the silo exited with code {_process.ExitCode}:\n{Output}"));
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (line.StartsWith("silo up:", StringComparison.Ordinal)) _up.TrySetResult();
    }

    public async Task WaitUntilUp()
    {
        var done = await Task.WhenAny(_up.Task, Task.Delay(TimeSpan.FromMinutes(2)));
        if (done != _up.Task) throw new TimeoutException($"the silo did not come up within 2 minutes:\n{Output}");
        await _up.Task;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
