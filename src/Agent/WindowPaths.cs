using Rollouts.Crafter;
using Rollouts.Crafter.Engine;
using Rollouts.Crafter.Objects;

namespace Rollouts.Agent;

/// <summary>
/// Shortest walks from the player to every cell of the 9×7 view window, costed the way the local-vision teacher's
/// navigator costs them (so that the prompt's directions are the teacher's first steps): grass, sand and path cost 1,
/// a tree 4 (cut), stone and coal 3 with a wood pickaxe, iron 3 with a stone pickaxe, diamond 3 with an iron pickaxe
/// (mined), a creature 4 (fought or waited for), an arrow 2; water, lava, tables, furnaces, plants and whatever the
/// player cannot mine are never entered. One ring of cells around the window is unknown and assumed free ground, as the
/// teacher assumes, so a walk may leave the window and come back. A cell is reached when the player stands next to it:
/// its distance is the cheapest neighbour's plus one (1 for the four cells next to the player), and its direction is
/// the first move of that walk. Allocation-free (stack buffers), about a hundred cells.
/// </summary>
internal static class WindowPaths
{
    private const int HalfW = ObservationEncoder.WindowHalfWidth + 1, HalfH = ObservationEncoder.WindowHalfHeight + 1;

    /// <summary>Grid width and height: the window, the unknown ring, and a border that is never entered.</summary>
    public const int Width = 2 * HalfW + 3, Height = 2 * HalfH + 3;

    public const int Cells = Width * Height;
    public const int Unreachable = int.MaxValue;

    // Direction index d: 0 west, 1 east, 2 north, 3 south (the move actions' order: left, right, up, down).
    private static ReadOnlySpan<int> Dx => [-1, 1, 0, 0];
    private static ReadOnlySpan<int> Dy => [0, 0, -1, 1];

    /// <summary>Grid index of the map cell at offset (dx, dy) from the player (|dx| ≤ 5, |dy| ≤ 4).</summary>
    public static int Index(int dx, int dy) => (dx + HalfW + 1) * Height + dy + HalfH + 1;

    /// <summary>
    /// Fills <paramref name="reach"/> (distance to stand next to the cell and face it; <see cref="Unreachable"/> when no
    /// walk gets there) and <paramref name="direction"/> (the first move: 0 west, 1 east, 2 north, 3 south) for every
    /// grid cell; both spans hold <see cref="Cells"/> entries, indexed by <see cref="Index"/>.
    /// </summary>
    public static void Compute(World world, Player player, Span<int> reach, Span<byte> direction)
    {
        Span<byte> cost = stackalloc byte[Cells];
        Span<int> dist = stackalloc int[Cells];
        Span<byte> first = stackalloc byte[Cells];
        Span<byte> byMaterial = stackalloc byte[16];
        byMaterial.Clear();
        byMaterial[(int)Material.Grass] = byMaterial[(int)Material.Sand] = byMaterial[(int)Material.Path] = 1;
        byMaterial[(int)Material.Tree] = 4;
        if (player[Item.WoodPickaxe] > 0) byMaterial[(int)Material.Stone] = byMaterial[(int)Material.Coal] = 3;
        if (player[Item.StonePickaxe] > 0) byMaterial[(int)Material.Iron] = 3;
        if (player[Item.IronPickaxe] > 0) byMaterial[(int)Material.Diamond] = 3;

        int px = player.X, py = player.Y;
        cost.Clear();
        for (int dx = -HalfW; dx <= HalfW; dx++)
        for (int dy = -HalfH; dy <= HalfH; dy++)
        {
            int x = px + dx, y = py + dy;
            if (!world.IsInside(x, y)) continue;
            int i = Index(dx, dy);
            if (Math.Abs(dx) == HalfW || Math.Abs(dy) == HalfH)
            {
                cost[i] = 1; // beyond the window: unknown, assumed free
                continue;
            }
            var material = world.GetMaterial(x, y);
            byte c = byMaterial[(int)material];
            if (world.GetObject(x, y) is { } obj && !ReferenceEquals(obj, player))
                c = obj is Plant || c != 1 ? (byte)0 : obj.Kind == ObjectKind.Arrow ? (byte)2 : (byte)4;
            cost[i] = c;
        }

        // Dijkstra by distance levels: the grid is small and steps cost at most 4, so scanning it once per level is cheap.
        dist.Fill(Unreachable);
        int source = Index(0, 0);
        dist[source] = 0;
        int level = 0, highest = 0;
        while (level <= highest)
        {
            for (int cell = 0; cell < Cells; cell++)
            {
                if (dist[cell] != level) continue;
                for (int d = 0; d < 4; d++)
                {
                    int next = cell + Dx[d] * Height + Dy[d];
                    int c = cost[next];
                    if (c == 0) continue;
                    int nd = level + c;
                    if (nd >= dist[next]) continue;
                    dist[next] = nd;
                    first[next] = cell == source ? (byte)d : first[cell];
                    if (nd > highest) highest = nd;
                }
            }
            level++;
        }

        // Reaching a cell = standing on its cheapest neighbour (where one can stand) and turning or stepping to it.
        for (int cell = 0; cell < Cells; cell++)
        {
            int best = Unreachable;
            byte bestDirection = 0;
            int gx = cell / Height, gy = cell % Height;
            if (gx == 0 || gy == 0 || gx == Width - 1 || gy == Height - 1)
            {
                reach[cell] = Unreachable;
                direction[cell] = 0;
                continue;
            }
            for (int d = 0; d < 4; d++)
            {
                int from = cell - Dx[d] * Height - Dy[d]; // the neighbour from which a move in direction d enters the cell
                if (dist[from] == Unreachable || cost[from] == 0 && from != source) continue;
                int r = dist[from] + 1;
                if (r >= best) continue;
                best = r;
                bestDirection = from == source ? (byte)d : first[from];
            }
            reach[cell] = cell == source ? 0 : best;
            direction[cell] = bestDirection;
        }
    }
}
