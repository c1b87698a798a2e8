using Rollouts.Crafter;
using Rollouts.Crafter.Engine;
using Rollouts.Crafter.Objects;

namespace Rollouts.Agent.Teaching;

/// <summary>
/// Shortest paths on the map from the player, with full state access (Dijkstra with a bucket queue, reused arrays).
/// Walking on grass, sand and path costs 1; a cell that must first be cleared costs more: a tree (cut for wood), or
/// stone/coal/iron/diamond when the player holds the pickaxe it needs (mined, leaving path), a creature (attacked or
/// waited for). Lava, water, tables, furnaces and plants are never entered.
/// </summary>
internal sealed class Navigator
{
    public const int Unreachable = int.MaxValue;
    private const int MaxStepCost = 4;

    public static readonly int[] Dx = [-1, 1, 0, 0];
    public static readonly int[] Dy = [0, 0, -1, 1];

    /// <summary>The move action for direction index d (left, right, up, down).</summary>
    public static CrafterAction MoveAction(int d) => (CrafterAction)((int)CrafterAction.MoveLeft + d);

    public static int Opposite(int d) => d ^ 1;

    public static int DirectionOf(int dx, int dy) => (dx, dy) switch
    {
        (-1, 0) => 0,
        (1, 0) => 1,
        (0, -1) => 2,
        _ => 3,
    };

    private readonly int _width, _height;
    private readonly int[] _dist;
    private readonly byte[] _first;
    private readonly int[][] _buckets;
    private readonly int[] _bucketCount;

    public Navigator(int width, int height)
    {
        _width = width;
        _height = height;
        _dist = new int[width * height];
        _first = new byte[width * height];
        _buckets = new int[MaxStepCost + 1][];
        for (int i = 0; i < _buckets.Length; i++) _buckets[i] = new int[width * height * 4];
        _bucketCount = new int[MaxStepCost + 1];
    }

    public int Width => _width;
    public int Height => _height;

    public int Index(int x, int y) => x * _height + y;

    public int Distance(int x, int y) => (uint)x < (uint)_width && (uint)y < (uint)_height ? _dist[x * _height + y] : Unreachable;

    /// <summary>The direction index of the first move on the shortest path to (x, y).</summary>
    public int FirstDirection(int x, int y) => _first[x * _height + y];

    public static bool IsWalkable(Material m) => m is Material.Grass or Material.Sand or Material.Path;

    /// <summary>Can the player mine/cut this material with its tools (the cell becomes walkable)?</summary>
    public static bool CanClear(Material m, Player player) => m switch
    {
        Material.Tree => true,
        Material.Stone or Material.Coal => player[Item.WoodPickaxe] > 0,
        Material.Iron => player[Item.StonePickaxe] > 0,
        Material.Diamond => player[Item.IronPickaxe] > 0,
        _ => false,
    };

    /// <summary>Cost of entering a cell, or 0 when it cannot be entered.</summary>
    private static int EnterCost(World world, Player player, int x, int y)
    {
        var obj = world.GetObject(x, y);
        if (obj is not null)
        {
            if (obj is Plant) return 0;
            var under = world.GetMaterial(x, y);
            if (!IsWalkable(under)) return 0;
            return obj.Kind == ObjectKind.Arrow ? 2 : 4;
        }
        var m = world.GetMaterial(x, y);
        if (IsWalkable(m)) return 1;
        if (CanClear(m, player)) return m == Material.Tree ? 4 : 3;
        return 0;
    }

    /// <summary>Recomputes distances from the player's cell.</summary>
    public void Compute(CrafterEnv env)
    {
        var world = env.World;
        var player = env.Player;
        Array.Fill(_dist, Unreachable);
        Array.Clear(_bucketCount);
        int source = Index(player.X, player.Y);
        _dist[source] = 0;
        _buckets[0][_bucketCount[0]++] = source;
        int pending = 1;
        int current = 0;
        int currentDist = 0;
        while (pending > 0)
        {
            int b = currentDist % (MaxStepCost + 1);
            if (_bucketCount[b] == 0)
            {
                currentDist++;
                continue;
            }
            int cell = _buckets[b][--_bucketCount[b]];
            pending--;
            if (_dist[cell] != currentDist) continue; // stale entry
            current = cell;
            int cx = current / _height, cy = current % _height;
            for (int d = 0; d < 4; d++)
            {
                int nx = cx + Dx[d], ny = cy + Dy[d];
                if ((uint)nx >= (uint)_width || (uint)ny >= (uint)_height) continue;
                int cost = EnterCost(world, player, nx, ny);
                if (cost == 0) continue;
                int next = nx * _height + ny;
                int nd = currentDist + cost;
                if (nd >= _dist[next]) continue;
                _dist[next] = nd;
                _first[next] = current == source ? (byte)d : _first[current];
                int nb = nd % (MaxStepCost + 1);
                _buckets[nb][_bucketCount[nb]++] = next;
                pending++;
            }
        }
    }
}
