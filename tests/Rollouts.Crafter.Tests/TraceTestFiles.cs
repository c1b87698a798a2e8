using System.IO.Compression;
using System.Text;

namespace Rollouts.Crafter.Tests;

internal static class TraceTestFiles
{
    public static List<string> ReadLines(string gzPath)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(gzPath), CompressionMode.Decompress), Encoding.UTF8);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return lines;
    }

    public static void WriteGzip(string path, IEnumerable<string> lines)
    {
        using var writer = new StreamWriter(new GZipStream(File.Create(path), CompressionLevel.Fastest), new UTF8Encoding(false));
        foreach (string line in lines) writer.WriteLine(line);
    }
}
