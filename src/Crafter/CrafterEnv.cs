using Rollouts.Crafter.Engine;
using Rollouts.Crafter.Generation;
using Rollouts.Crafter.Objects;
using Rollouts.Crafter.Rendering;

namespace Rollouts.Crafter;

/// <summary>
/// Crafter 1.8.3 in C#, step for step identical to the Python original for the same seed and actions.
/// <c>Reset</c> starts the next episode (world seed = <c>hash((seed, episode)) % (2**31 - 1)</c>).
/// </summary>
public sealed class CrafterEnv
{
    private readonly List<GameObject?> _snapshot = new(256);
    private readonly int _updateRadius;
    private readonly int _noiseDraws;
    private readonly CrafterRenderer? _renderer;
    private readonly byte[]? _pixels;
    private int _lastHealth;
    private uint _unlocked;

    public CrafterEnv(long seed, CrafterOptions? options = null)
    {
        if (seed < 0) throw new ArgumentOutOfRangeException(nameof(seed), seed, "The seed must be non-negative.");
        Options = options ?? new CrafterOptions();
        Options.Validate();
        Seed = seed;
        World = new World(Options.AreaWidth, Options.AreaHeight);
        Player = new Player(World);
        _updateRadius = 2 * Math.Max(Options.ViewWidth, Options.ViewHeight);
        // Night rendering draws one uniform per pixel of the local view (the grid above the inventory rows).
        int itemRows = (CrafterNames.ItemCount + Options.ViewWidth - 1) / Options.ViewWidth;
        _noiseDraws = Options.ViewWidth * (Options.ImageWidth / Options.ViewWidth)
            * (Options.ViewHeight - itemRows) * (Options.ImageHeight / Options.ViewHeight);
        if (Options.RenderPixels)
        {
            _renderer = new CrafterRenderer(Options);
            _pixels = new byte[Options.ImageWidth * Options.ImageHeight * 3];
        }
    }

    public CrafterOptions Options { get; }

    public long Seed { get; }

    /// <summary>Episodes started so far (the first <see cref="Reset"/> makes it 1).</summary>
    public int Episode { get; private set; }

    /// <summary>Steps taken in the current episode.</summary>
    public int StepCount { get; private set; }

    public World World { get; }

    public Player Player { get; }

    /// <summary>Achievements unlocked so far this episode (bit i = achievement i).</summary>
    public uint UnlockedAchievements => _unlocked;

    public bool IsStarted => Episode > 0;

    /// <summary>The last RGB observation (height x width x 3), when <see cref="CrafterOptions.RenderPixels"/> is on.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>Starts the next episode with a freshly generated world.</summary>
    public void Reset()
    {
        Episode++;
        StepCount = 0;
        World.Reset(PythonHash.WorldSeed(Seed, Episode));
        UpdateDaylight();
        Player.Init(Options.AreaWidth / 2, Options.AreaHeight / 2);
        _lastHealth = Player.Health;
        World.Add(Player);
        _unlocked = 0;
        WorldGenerator.Generate(World, Player);
        Observe();
    }

    public StepResult Step(CrafterAction action) => Step((int)action);

    public StepResult Step(int action)
    {
        if ((uint)action >= CrafterNames.ActionCount)
            throw new ArgumentOutOfRangeException(nameof(action), action, $"Crafter actions are 0..{CrafterNames.ActionCount - 1}.");
        if (!IsStarted) throw new InvalidOperationException("Call Reset() before Step().");

        StepCount++;
        UpdateDaylight();
        Player.Action = (CrafterAction)action;
        UpdateObjects();
        if (StepCount % 10 == 0) ChunkBalancer.BalanceAll(World, Player);
        Observe();
        World.EndStep();

        double reward = (Player.Health - _lastHealth) / 10.0;
        _lastHealth = Player.Health;
        uint unlockedNow = 0;
        var achievements = Player.Achievements;
        for (int i = 0; i < achievements.Length; i++)
            if (achievements[i] > 0 && (_unlocked & (1u << i)) == 0) unlockedNow |= 1u << i;
        if (unlockedNow != 0)
        {
            _unlocked |= unlockedNow;
            reward += 1.0;
        }
        bool dead = Player.Health <= 0;
        bool over = Options.Length > 0 && StepCount >= Options.Length;
        return new StepResult(Options.Reward ? reward : 0.0, dead || over, dead ? 0.0 : 1.0, unlockedNow);
    }

    /// <summary>Crafter's semantic view: material ids with objects on top (13 + kind for Player..Plant).</summary>
    public void WriteSemanticView(Span<byte> destination)
    {
        var map = World.MaterialMap;
        if (destination.Length < map.Length) throw new ArgumentException("Destination is smaller than the map.", nameof(destination));
        map.CopyTo(destination);
        foreach (var obj in World.ObjectSlots)
            if (obj is not null) destination[obj.X * World.Height + obj.Y] = SemanticId(obj.Kind);
    }

    /// <summary>Semantic id of an object kind: after the 12 materials and "none".</summary>
    public static byte SemanticId(ObjectKind kind) => (byte)(CrafterNames.Materials.Length + (int)kind);

    private void UpdateObjects()
    {
        // Crafter iterates over a copy: objects added during the loop wait, removed ones are still updated.
        _snapshot.Clear();
        foreach (var obj in World.ObjectSlots)
            if (obj is not null) _snapshot.Add(obj);
        foreach (var obj in _snapshot)
            if (Player.Distance(obj!) < _updateRadius) obj!.Update();
        _snapshot.Clear();
    }

    private void UpdateDaylight() => World.Daylight = Daylight.AtStep(StepCount);

    private void Observe()
    {
        if (_renderer is not null) _renderer.Render(World, Player, _pixels!);
        else if (World.Daylight < 0.5) World.Random.SkipDoubles(_noiseDraws);
    }
}
