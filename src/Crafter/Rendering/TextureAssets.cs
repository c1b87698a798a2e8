namespace Rollouts.Crafter.Rendering;

/// <summary>Crafter's textures (<c>crafter/assets/*.png</c>), embedded in this assembly and decoded once per process.</summary>
internal static class TextureAssets
{
    private const string Prefix = "Rollouts.Crafter.Assets.";
    private const string Suffix = ".png";

    private static readonly Lazy<IReadOnlyList<(string Name, RgbaImage Image)>> Loaded = new(Load);

    /// <summary>Every texture by file stem ("grass", "player-left", "1", ...), in ordinal name order.</summary>
    public static IReadOnlyList<(string Name, RgbaImage Image)> Originals => Loaded.Value;

    private static IReadOnlyList<(string Name, RgbaImage Image)> Load()
    {
        var assembly = typeof(TextureAssets).Assembly;
        var textures = new List<(string, RgbaImage)>();
        foreach (string resource in assembly.GetManifestResourceNames().Order(StringComparer.Ordinal))
        {
            if (!resource.StartsWith(Prefix, StringComparison.Ordinal) || !resource.EndsWith(Suffix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            textures.Add((resource[Prefix.Length..^Suffix.Length], PngCodec.Decode(bytes.GetBuffer().AsSpan(0, (int)bytes.Length))));
        }

        if (textures.Count == 0) throw new InvalidOperationException("Crafter's textures are not embedded in the assembly.");
        return textures;
    }
}
