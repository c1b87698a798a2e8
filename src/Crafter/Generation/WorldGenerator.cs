using Rollouts.Crafter.Engine;
using Rollouts.Crafter.Objects;

namespace Rollouts.Crafter.Generation;

/// <summary>
/// Crafter's <c>generate_world</c>: terrain from weighted OpenSimplex octaves, then creatures.
/// Uniform draws happen only where the noise test to their left passed, as Python's <c>and</c> does.
/// </summary>
internal static class WorldGenerator
{
    public static void Generate(World world, Player player)
    {
        var simplex = new OpenSimplexNoise(world.Random.RandInt(int.MaxValue));
        var tunnels = new bool[world.Width * world.Height];
        for (int x = 0; x < world.Width; x++)
        for (int y = 0; y < world.Height; y++)
            SetMaterial(world, x, y, player, tunnels, simplex);
        for (int x = 0; x < world.Width; x++)
        for (int y = 0; y < world.Height; y++)
            SetObject(world, x, y, player, tunnels[x * world.Height + y]);
    }

    private static void SetMaterial(World world, int x, int y, Player player, bool[] tunnels, OpenSimplexNoise simplex)
    {
        var random = world.Random;
        long ddx = x - player.X, ddy = y - player.Y;
        double start = 4 - Math.Sqrt(ddx * ddx + ddy * ddy);
        start += 2 * Noise(simplex, x, y, 8, 3);
        start = 1 / (1 + Math.Exp(-start));
        double water = Noise2(simplex, x, y, 3, 15, 1, 5, 0.15, normalize: false) + 0.1;
        water -= 2 * start;
        double mountain = Noise2(simplex, x, y, 0, 15, 1, 5, 0.3, normalize: true);
        mountain -= 4 * start + 0.3 * water;

        Material material;
        if (start > 0.5)
        {
            material = Material.Grass;
        }
        else if (mountain > 0.15)
        {
            if (Noise(simplex, x, y, 6, 7) > 0.15 && mountain > 0.3)
            {
                material = Material.Path; // cave
            }
            else if (Noise(simplex, 2 * x, y / 5.0, 7, 3) > 0.4)
            {
                material = Material.Path; // horizontal tunnel
                tunnels[x * world.Height + y] = true;
            }
            else if (Noise(simplex, x / 5.0, 2 * y, 7, 3) > 0.4)
            {
                material = Material.Path; // vertical tunnel
                tunnels[x * world.Height + y] = true;
            }
            else if (Noise(simplex, x, y, 1, 8) > 0 && random.NextDouble() > 0.85) material = Material.Coal;
            else if (Noise(simplex, x, y, 2, 6) > 0.4 && random.NextDouble() > 0.75) material = Material.Iron;
            else if (mountain > 0.18 && random.NextDouble() > 0.994) material = Material.Diamond;
            else if (mountain > 0.3 && Noise(simplex, x, y, 6, 5) > 0.35) material = Material.Lava;
            else material = Material.Stone;
        }
        else if (0.25 < water && water <= 0.35 && Noise(simplex, x, y, 4, 9) > -0.2)
        {
            material = Material.Sand;
        }
        else if (0.3 < water)
        {
            material = Material.Water;
        }
        else if (Noise(simplex, x, y, 5, 7) > 0 && random.NextDouble() > 0.8)
        {
            material = Material.Tree;
        }
        else
        {
            material = Material.Grass;
        }
        world.SetMaterial(x, y, material);
    }

    private static void SetObject(World world, int x, int y, Player player, bool tunnel)
    {
        var random = world.Random;
        long ddx = x - player.X, ddy = y - player.Y;
        double dist = Math.Sqrt(ddx * ddx + ddy * ddy);
        var material = world.GetMaterial(x, y);
        if (material is not (Material.Grass or Material.Sand or Material.Path)) return;
        if (dist > 3 && material == Material.Grass && random.NextDouble() > 0.985)
            world.Add(world.Pool.RentCow(world).Init(x, y));
        else if (dist > 10 && random.NextDouble() > 0.993)
            world.Add(world.Pool.RentZombie(world).Init(x, y, player));
        else if (material == Material.Path && tunnel && random.NextDouble() > 0.95)
            world.Add(world.Pool.RentSkeleton(world).Init(x, y, player));
    }

    // One octave: noise3(x / size, y / size, z); a single weight-1 octave divided by 1 is unchanged.
    private static double Noise(OpenSimplexNoise simplex, double x, double y, double z, int size)
        => simplex.Noise3(x / size, y / size, z);

    // Two octaves summed with weights, optionally divided by the weight sum.
    private static double Noise2(OpenSimplexNoise simplex, double x, double y, double z,
        int size1, double weight1, int size2, double weight2, bool normalize)
    {
        double value = weight1 * simplex.Noise3(x / size1, y / size1, z);
        value += weight2 * simplex.Noise3(x / size2, y / size2, z);
        if (normalize) value /= weight1 + weight2;
        return value;
    }
}
