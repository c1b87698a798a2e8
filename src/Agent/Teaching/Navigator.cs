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
    private readonly int _stride; // height + 2: the grid is padded by a border that cannot be entered
    private readonly int[] _dist;     // padded
    private readonly byte[] _first;   // padded
    private readonly byte[] _cost;    // padded; 0 = cannot enter
    private readonly int[] _queue;    // 8 circular buckets
    private readonly int[] _bucketCount = new int[Buckets];
    private readonly int _bucketCapacity;
    private readonly int[] _order;
    private int _orderCount;
    private const int Buckets = 8; // > largest step cost

    public Navigator(int width, int height)
    {
        _width = width;
        _height = height;
        _stride = height + 2;
        int padded = (width + 2) * _stride;
        _dist = new int[padded];
        _first = new byte[padded];
        _cost = new byte[padded];
        _bucketCapacity = width * height * 4 + 4;
        _queue = new int[Buckets * _bucketCapacity];
        _order = new int[width * height];
    }

    public int Width => _width;
    public int Height => _height;

    public int Index(int x, int y) => x * _height + y;

    private int Padded(int x, int y) => (x + 1) * _stride + y + 1;

    /// <summary>Reachable cells (index x * Height + y) in order of nondecreasing distance.</summary>
    public ReadOnlySpan<int> Settled => _order.AsSpan(0, _orderCount);

    public int DistanceOfIndex(int index) => _dist[Padded(index / _height, index % _height)];

    public int Distance(int x, int y) => (uint)x < (uint)_width && (uint)y < (uint)_height ? _dist[Padded(x, y)] : Unreachable;

    /// <summary>The direction index of the first move on the shortest path to (x, y).</summary>
    public int FirstDirection(int x, int y) => _first[Padded(x, y)];

    /// <summary>
    /// The teacher's cost of acting on the target next to stand cell (sx, sy) in direction d, from this step's
    /// distances: 0 when the player already stands there facing it; for a blocked target the walk to S plus the move
    /// toward it (which only turns); for a free one the walk to the cell behind S plus the step onto S, so that the
    /// player arrives facing it. <see cref="Unreachable"/> when no walk gets there.
    /// </summary>
    public int ApproachCost(int sx, int sy, int d, bool targetFree, bool facingD)
    {
        if (sx == _px && sy == _py && facingD) return 0;
        int walk = targetFree ? Distance(sx - Dx[d], sy - Dy[d]) : Distance(sx, sy);
        return walk == Unreachable ? Unreachable : walk + 1;
    }

    /// <summary>
    /// Where that approach walks next: false when the next action is the move in direction d itself (the player stands
    /// at S for a blocked target, behind S for a free one); else true with the cell to walk toward (S or the cell
    /// behind it).
    /// </summary>
    public bool ApproachWaypoint(int sx, int sy, int d, bool targetFree, out int wx, out int wy)
    {
        wx = targetFree ? sx - Dx[d] : sx;
        wy = targetFree ? sy - Dy[d] : sy;
        return wx != _px || wy != _py;
    }

    /// <summary>Can the player step onto (x, y) now: inside the map, walkable ground, nothing standing there.</summary>
    public static bool IsFree(World world, int x, int y) =>
        world.IsInside(x, y) && IsWalkable(world.GetMaterial(x, y)) && world.GetObject(x, y) is null;

    /// <summary>Does the player face direction d?</summary>
    public static bool Faces(Player player, int d) => player.FacingX == Dx[d] && player.FacingY == Dy[d];

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

    /// <summary>Cells of the view window around the player (x ± <see cref="ObservationEncoder.WindowHalfWidth"/>, y ±
    /// <see cref="ObservationEncoder.WindowHalfHeight"/>) when the navigator sees only the window; the whole map else.</summary>
    public bool LocalVision { get; set; }

    private int _px, _py;

    /// <summary>Is (x, y) known this step: in the window in local vision, anywhere else.</summary>
    public bool Visible(int x, int y) => !LocalVision
        || (Math.Abs(x - _px) <= ObservationEncoder.WindowHalfWidth && Math.Abs(y - _py) <= ObservationEncoder.WindowHalfHeight);

    private void FillCosts(World world, Player player)
    {
        Span<byte> byMaterial = stackalloc byte[16];
        byMaterial.Clear();
        byMaterial[(int)Material.Grass] = byMaterial[(int)Material.Sand] = byMaterial[(int)Material.Path] = 1;
        byMaterial[(int)Material.Tree] = 4;
        if (player[Item.WoodPickaxe] > 0) byMaterial[(int)Material.Stone] = byMaterial[(int)Material.Coal] = 3;
        if (player[Item.StonePickaxe] > 0) byMaterial[(int)Material.Iron] = 3;
        if (player[Item.IronPickaxe] > 0) byMaterial[(int)Material.Diamond] = 3;
        var map = world.MaterialMap;
        for (int x = 0; x < _width; x++)
        {
            int row = (x + 1) * _stride + 1;
            int src = x * _height;
            for (int y = 0; y < _height; y++) _cost[row + y] = byMaterial[map[src + y]];
        }
        if (LocalVision)
        {
            // Outside the window nothing is known: assume free ground (re-planned every step as the window moves).
            for (int x = 0; x < _width; x++)
            for (int y = 0; y < _height; y++)
                if (!Visible(x, y)) _cost[Padded(x, y)] = 1;
        }
        foreach (var obj in Objects(world))
        {
            int i = Padded(obj.X, obj.Y);
            if (obj is Plant || !IsWalkable((Material)map[obj.X * _height + obj.Y])) _cost[i] = 0;
            else _cost[i] = obj.Kind == ObjectKind.Arrow ? (byte)2 : (byte)4;
        }
    }

    private readonly List<GameObject> _objectList = new(256);

    /// <summary>The objects on the map this step other than the player (found by <see cref="Compute"/>).</summary>
    public List<GameObject> ObjectsThisStep => _objectList;

    private List<GameObject> Objects(World world)
    {
        _objectList.Clear();
        for (int x = 0; x < _width; x++)
        for (int y = 0; y < _height; y++)
            if (Visible(x, y) && world.GetObject(x, y) is { } o && o.Kind != ObjectKind.Player) _objectList.Add(o);
        return _objectList;
    }

    /// <summary>Recomputes distances from the player's cell.</summary>
    public void Compute(CrafterEnv env)
    {
        var player = env.Player;
        _px = player.X;
        _py = player.Y;
        FillCosts(env.World, player);
        Array.Fill(_dist, Unreachable);
        Array.Clear(_bucketCount);
        _orderCount = 0;
        Span<int> offsets = [-_stride, _stride, -1, 1];
        int source = Padded(player.X, player.Y);
        _dist[source] = 0;
        _queue[_bucketCount[0]++] = source;
        int pending = 1;
        int currentDist = 0;
        var dist = _dist.AsSpan();
        var cost = _cost.AsSpan();
        var first = _first.AsSpan();
        var queue = _queue.AsSpan();
        while (pending > 0)
        {
            int b = currentDist & (Buckets - 1);
            if (_bucketCount[b] == 0)
            {
                currentDist++;
                continue;
            }
            int cell = queue[b * _bucketCapacity + --_bucketCount[b]];
            pending--;
            if (dist[cell] != currentDist) continue; // stale entry
            _order[_orderCount++] = (cell / _stride - 1) * _height + cell % _stride - 1;
            byte firstHere = first[cell];
            for (int d = 0; d < 4; d++)
            {
                int next = cell + offsets[d];
                int c = cost[next];
                if (c == 0) continue;
                int nd = currentDist + c;
                if (nd >= dist[next]) continue;
                dist[next] = nd;
                first[next] = cell == source ? (byte)d : firstHere;
                int nb = nd & (Buckets - 1);
                queue[nb * _bucketCapacity + _bucketCount[nb]++] = next;
                pending++;
            }
        }
    }
}
