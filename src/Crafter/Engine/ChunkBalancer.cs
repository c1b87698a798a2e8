using Rollouts.Crafter.Objects;

namespace Rollouts.Crafter.Engine;

/// <summary>Crafter's <c>_balance_chunk</c>: every 10 steps, spawn or despawn zombies, skeletons and cows per chunk.</summary>
internal static class ChunkBalancer
{
    public static void BalanceAll(World world, Player player)
    {
        var order = world.ChunkOrder;
        int count = order.Count; // keys are snapshotted; member lists stay live
        for (int i = 0; i < count; i++)
        {
            int chunk = order[i];
            double light = world.Daylight;
            var (xmin, xmax, ymin, ymax) = world.ChunkBounds(chunk);

            int grass = world.CountInRegion(xmin, xmax, ymin, ymax, Material.Grass);
            double zombieMax = 3.5 - 3 * light;
            Balance(world, player, chunk, ObjectKind.Zombie, Material.Grass, grass, 6, 0, 0.3, 0.4,
                grass < 50 ? 0 : zombieMax, zombieMax);

            int path = world.CountInRegion(xmin, xmax, ymin, ymax, Material.Path);
            Balance(world, player, chunk, ObjectKind.Skeleton, Material.Path, path, 7, 7, 0.1, 0.1,
                path < 6 ? 0 : 1, 2);

            grass = world.CountInRegion(xmin, xmax, ymin, ymax, Material.Grass);
            Balance(world, player, chunk, ObjectKind.Cow, Material.Grass, grass, 5, 5, 0.01, 0.1,
                grass < 30 ? 0 : 1, 1.5 + light);
        }
    }

    private static void Balance(World world, Player player, int chunk, ObjectKind kind, Material material, int space,
        int spawnDistance, int despawnDistance, double spawnProbability, double despawnProbability,
        double targetMin, double targetMax)
    {
        var members = world.ChunkMembers(chunk);
        int creatures = 0;
        foreach (var obj in members)
            if (obj.Kind == kind) creatures++;
        var random = world.Random;
        if (creatures < (int)targetMin && random.NextDouble() < spawnProbability)
        {
            var (xmin, xmax, ymin, ymax) = world.ChunkBounds(chunk);
            int index = random.RandInt(space);
            var (x, y) = world.NthInRegion(xmin, xmax, ymin, ymax, material, index);
            bool empty = world.GetObject(x, y) is null;
            bool away = player.Distance(x, y) >= spawnDistance;
            if (empty && away) world.Add(Create(world, kind, x, y, player));
        }
        else if (creatures > (int)targetMax && random.NextDouble() < despawnProbability)
        {
            int pick = random.RandInt(creatures);
            GameObject? victim = null;
            foreach (var obj in members)
                if (obj.Kind == kind && pick-- == 0) { victim = obj; break; }
            if (player.Distance(victim!) >= despawnDistance) world.Remove(victim!);
        }
    }

    private static GameObject Create(World world, ObjectKind kind, int x, int y, Player player) => kind switch
    {
        ObjectKind.Zombie => world.Pool.RentZombie(world).Init(x, y, player),
        ObjectKind.Skeleton => world.Pool.RentSkeleton(world).Init(x, y, player),
        _ => world.Pool.RentCow(world).Init(x, y),
    };
}
