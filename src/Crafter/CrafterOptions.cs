namespace Rollouts.Crafter;

/// <summary>Crafter's constructor options (<c>crafter.Env(area, view, size, reward, length, seed)</c>).</summary>
public sealed record CrafterOptions
{
    /// <summary>World size in cells.</summary>
    public int AreaWidth { get; init; } = 64;
    public int AreaHeight { get; init; } = 64;

    /// <summary>Observation grid in cells (the bottom rows show the inventory).</summary>
    public int ViewWidth { get; init; } = 9;
    public int ViewHeight { get; init; } = 9;

    /// <summary>Pixel size of the RGB observation.</summary>
    public int ImageWidth { get; init; } = 64;
    public int ImageHeight { get; init; } = 64;

    /// <summary>When false, <see cref="CrafterEnv.Step"/> reports a reward of 0 (as Crafter's <c>reward=False</c>).</summary>
    public bool Reward { get; init; } = true;

    /// <summary>Episode length in steps; 0 means unlimited.</summary>
    public int Length { get; init; } = 10000;

    /// <summary>
    /// Render the RGB observation every step. Off by default: agents here read text or the semantic view, and the
    /// generator is advanced exactly as rendering would advance it either way.
    /// </summary>
    public bool RenderPixels { get; init; }

    internal void Validate()
    {
        if (AreaWidth < 1 || AreaHeight < 1) throw new ArgumentException($"area must be positive, got {AreaWidth}x{AreaHeight}.");
        if (ViewWidth < 3 || ViewHeight < 3) throw new ArgumentException($"view must be at least 3x3, got {ViewWidth}x{ViewHeight}.");
        if (ImageWidth < ViewWidth || ImageHeight < ViewHeight)
            throw new ArgumentException($"size {ImageWidth}x{ImageHeight} is smaller than the view {ViewWidth}x{ViewHeight}.");
        int itemRows = (CrafterNames.ItemCount + ViewWidth - 1) / ViewWidth;
        if (ViewHeight <= itemRows)
            throw new ArgumentException($"view {ViewWidth}x{ViewHeight} leaves no rows for the world above the {itemRows} inventory rows.");
        if (Length < 0) throw new ArgumentException($"length must be >= 0, got {Length}.");
    }
}
