using Rollouts.Crafter.Engine;
using Rollouts.Crafter.Objects;

namespace Rollouts.Crafter.Rendering;

/// <summary>Placeholder until the texture renderer lands: consumes the night draws only.</summary>
internal sealed class CrafterRenderer
{
    private readonly int _noiseDraws;

    public CrafterRenderer(CrafterOptions options)
    {
        int itemRows = (CrafterNames.ItemCount + options.ViewWidth - 1) / options.ViewWidth;
        _noiseDraws = options.ViewWidth * (options.ImageWidth / options.ViewWidth)
            * (options.ViewHeight - itemRows) * (options.ImageHeight / options.ViewHeight);
    }

    public void Render(World world, Player player, Span<byte> rgb)
    {
        rgb.Clear();
        if (world.Daylight < 0.5) world.Random.SkipDoubles(_noiseDraws);
        _ = player;
    }
}
