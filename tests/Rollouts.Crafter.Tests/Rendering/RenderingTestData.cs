using Rollouts.Crafter.Rendering;

namespace Rollouts.Crafter.Tests.Rendering;

/// <summary>Helpers shared by the rendering tests: embedded textures and a byte checksum.</summary>
internal static class RenderingTestData
{
    private const string ResourcePrefix = "Rollouts.Crafter.Assets.";

    public static byte[] AssetBytes(string name)
    {
        using var stream = typeof(PngCodec).Assembly.GetManifestResourceStream(ResourcePrefix + name + ".png")
            ?? throw new InvalidOperationException($"Texture '{name}' is not embedded in {typeof(PngCodec).Assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static RgbaImage Asset(string name) => PngCodec.Decode(AssetBytes(name));

    public static IEnumerable<string> EmbeddedAssetNames() =>
        typeof(PngCodec).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".png", StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..^".png".Length]);

    /// <summary>32-bit FNV-1a; the expected values were computed the same way in Python.</summary>
    public static uint Fnv1a(ReadOnlySpan<byte> data)
    {
        var hash = 0x811C9DC5u;
        foreach (var b in data)
        {
            hash = (hash ^ b) * 0x01000193u;
        }

        return hash;
    }
}
