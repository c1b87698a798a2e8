using Rollouts.Crafter.Objects;

namespace Rollouts.Crafter.Engine;

/// <summary>
/// Crafter's world: a material map, an object map and the object list, plus the 12x12 chunks that
/// balance creatures. Object order, chunk creation order and chunk member order follow the reference
/// (members in insertion order), because they decide which creature is updated or despawned first.
/// </summary>
public sealed class World
{
    public const int ChunkSize = 12;

    private readonly byte[] _materials;
    private readonly int[] _objectMap;
    private readonly List<GameObject?> _objects = new(1024);
    private readonly List<GameObject>[] _chunkMembers;
    private readonly bool[] _chunkExists;
    private readonly List<int> _chunkOrder;
    private readonly int _chunksY;
    private readonly List<GameObject> _released = new(64);
    private readonly ObjectPool _pool = new();
    private int _holes;

    public World(int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), "The area must be positive.");
        Width = width;
        Height = height;
        _materials = new byte[width * height];
        _objectMap = new int[width * height];
        int chunksX = (width + ChunkSize - 1) / ChunkSize;
        _chunksY = (height + ChunkSize - 1) / ChunkSize;
        _chunkMembers = new List<GameObject>[chunksX * _chunksY];
        for (int i = 0; i < _chunkMembers.Length; i++) _chunkMembers[i] = new List<GameObject>(16);
        _chunkExists = new bool[_chunkMembers.Length];
        _chunkOrder = new List<int>(_chunkMembers.Length);
        Random = new NumpyRandomState(0);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>The world's one generator: world generation, creature moves, spawns and night rendering all draw from it.</summary>
    public NumpyRandomState Random { get; }

    public double Daylight { get; set; }

    /// <summary>Slots of the object list, in insertion order; null where an object was removed.</summary>
    internal List<GameObject?> ObjectSlots => _objects;

    internal List<int> ChunkOrder => _chunkOrder;

    internal ObjectPool Pool => _pool;

    public void Reset(uint seed)
    {
        Random.Seed(seed);
        Daylight = 0.0;
        foreach (var obj in _objects)
            if (obj is not null) _pool.Return(obj);
        foreach (var obj in _released) _pool.Return(obj);
        _released.Clear();
        _objects.Clear();
        _objects.Add(null);
        _holes = 0;
        foreach (int chunk in _chunkOrder) _chunkMembers[chunk].Clear();
        foreach (int chunk in _chunkOrder) _chunkExists[chunk] = false;
        _chunkOrder.Clear();
        Array.Clear(_materials);
        Array.Clear(_objectMap);
    }

    public bool IsInside(int x, int y) => (uint)x < (uint)Width && (uint)y < (uint)Height;

    /// <summary>The material at a cell, or <see cref="Material.None"/> outside the map.</summary>
    public Material GetMaterial(int x, int y) => IsInside(x, y) ? (Material)_materials[x * Height + y] : Material.None;

    public void SetMaterial(int x, int y, Material material) => _materials[x * Height + y] = (byte)material;

    /// <summary>The object at a cell, or null (also outside the map).</summary>
    public GameObject? GetObject(int x, int y) => IsInside(x, y) ? _objects[_objectMap[x * Height + y]] : null;

    /// <summary>Row-major by x then y (<c>[x][y]</c>), as the reference's material map.</summary>
    public ReadOnlySpan<byte> MaterialMap => _materials;

    public int CountObjects()
    {
        int n = 0;
        foreach (var obj in _objects) if (obj is not null) n++;
        return n;
    }

    public void Add(GameObject obj)
    {
        int cell = obj.X * Height + obj.Y;
        if (_objectMap[cell] != 0) throw new InvalidOperationException($"Cell ({obj.X}, {obj.Y}) is already occupied.");
        obj.Removed = false;
        obj.Slot = _objects.Count;
        _objects.Add(obj);
        _objectMap[cell] = obj.Slot;
        ChunkAt(obj.X, obj.Y).Add(obj);
    }

    public void Remove(GameObject obj)
    {
        if (obj.Removed) return;
        int cell = obj.X * Height + obj.Y;
        _objects[_objectMap[cell]] = null;
        _objectMap[cell] = 0;
        ChunkAt(obj.X, obj.Y).Remove(obj);
        obj.Removed = true;
        _holes++;
        // The object may still be updated later in this step (it is in the step's snapshot); reuse waits.
        _released.Add(obj);
    }

    public void Move(GameObject obj, int x, int y)
    {
        if (obj.Removed) return;
        int target = x * Height + y;
        if (_objectMap[target] != 0) throw new InvalidOperationException($"Cell ({x}, {y}) is already occupied.");
        int source = obj.X * Height + obj.Y;
        _objectMap[target] = _objectMap[source];
        _objectMap[source] = 0;
        int oldChunk = ChunkIndex(obj.X, obj.Y);
        int newChunk = ChunkIndex(x, y);
        if (oldChunk != newChunk)
        {
            _chunkMembers[oldChunk].Remove(obj);
            Chunk(newChunk).Add(obj);
        }
        obj.X = x;
        obj.Y = y;
    }

    /// <summary>Materials present in the square of radius <paramref name="distance"/> around a cell, with numpy's slicing rules.</summary>
    public bool IsNearby(int x, int y, int distance, Material material)
    {
        var (x0, x1) = NumpySlice(x - distance, x + distance + 1, Width);
        var (y0, y1) = NumpySlice(y - distance, y + distance + 1, Height);
        for (int i = x0; i < x1; i++)
        for (int j = y0; j < y1; j++)
            if (_materials[i * Height + j] == (byte)material) return true;
        return false;
    }

    /// <summary>Bounds of a chunk: [xmin, xmax) x [ymin, ymax), cut at the map border.</summary>
    public (int XMin, int XMax, int YMin, int YMax) ChunkBounds(int chunk)
    {
        int cx = chunk / _chunksY, cy = chunk % _chunksY;
        int xmin = cx * ChunkSize, ymin = cy * ChunkSize;
        return (xmin, Math.Min(xmin + ChunkSize, Width), ymin, Math.Min(ymin + ChunkSize, Height));
    }

    internal List<GameObject> ChunkMembers(int chunk) => _chunkMembers[chunk];

    public int CountInRegion(int xmin, int xmax, int ymin, int ymax, Material material)
    {
        int n = 0;
        for (int x = xmin; x < xmax; x++)
        for (int y = ymin; y < ymax; y++)
            if (_materials[x * Height + y] == (byte)material) n++;
        return n;
    }

    /// <summary>The <paramref name="index"/>-th cell of a material in a region, scanning x-major as numpy's boolean mask does.</summary>
    public (int X, int Y) NthInRegion(int xmin, int xmax, int ymin, int ymax, Material material, int index)
    {
        for (int x = xmin; x < xmax; x++)
        for (int y = ymin; y < ymax; y++)
            if (_materials[x * Height + y] == (byte)material && index-- == 0) return (x, y);
        throw new ArgumentOutOfRangeException(nameof(index));
    }

    /// <summary>Ends a step: removed objects become reusable, and a list with many holes is compacted (order kept).</summary>
    internal void EndStep()
    {
        foreach (var obj in _released) _pool.Return(obj);
        _released.Clear();
        if (_holes > 256 && _holes * 2 > _objects.Count) Compact();
    }

    private void Compact()
    {
        int write = 1;
        for (int read = 1; read < _objects.Count; read++)
        {
            var obj = _objects[read];
            if (obj is null) continue;
            obj.Slot = write;
            _objects[write++] = obj;
            _objectMap[obj.X * Height + obj.Y] = obj.Slot;
        }
        _objects.RemoveRange(write, _objects.Count - write);
        _holes = 0;
    }

    private int ChunkIndex(int x, int y) => x / ChunkSize * _chunksY + y / ChunkSize;

    private List<GameObject> ChunkAt(int x, int y) => Chunk(ChunkIndex(x, y));

    // Like a defaultdict: touching a chunk creates its key, remembered in creation order.
    private List<GameObject> Chunk(int index)
    {
        if (!_chunkExists[index])
        {
            _chunkExists[index] = true;
            _chunkOrder.Add(index);
        }
        return _chunkMembers[index];
    }

    private static (int Start, int Stop) NumpySlice(int start, int stop, int length)
    {
        if (start < 0) start = Math.Max(0, start + length);
        if (stop < 0) stop = Math.Max(0, stop + length);
        start = Math.Min(start, length);
        stop = Math.Min(stop, length);
        return (start, Math.Max(start, stop));
    }
}
