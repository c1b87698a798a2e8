using System.Reflection;

namespace Rollouts.Crafter.Tests;

/// <summary>The build records where <c>../shared</c> is; <c>ROLLOUTS_SHARED</c> overrides it.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class SharedDirectoryAttribute(string path) : Attribute
{
    public string Path { get; } = path;
}

internal static class SharedData
{
    public static string Root
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("ROLLOUTS_SHARED");
            if (!string.IsNullOrEmpty(env)) return env;
            return typeof(SharedData).Assembly.GetCustomAttribute<SharedDirectoryAttribute>()?.Path
                ?? throw new InvalidOperationException("The shared data directory is unknown.");
        }
    }

    public static string TracesDirectory => Path.Combine(Root, "crafter", "traces");

    public static IEnumerable<object[]> TraceFiles()
    {
        var files = Directory.GetFiles(TracesDirectory, "*.jsonl.gz").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new InvalidOperationException($"No traces in {TracesDirectory}.");
        return files.Select(f => new object[] { Path.GetFileName(f) });
    }
}
