using Rollouts.Crafter;
using Rollouts.Crafter.Engine;
using Rollouts.Crafter.Objects;

namespace Rollouts.Agent.Teaching;

/// <summary>Options of the scripted teacher.</summary>
public sealed record TeacherOptions
{
    /// <summary>When it writes plans.</summary>
    public PlanningSchedule Schedule { get; init; } = PlanningSchedule.OnEvent;

    /// <summary>A person's plan to follow first (then the teacher goes on with its own judgement); null for none.</summary>
    public IReadOnlyList<Subgoal>? FixedPlan { get; init; }

    /// <summary>Most subgoals in a written plan.</summary>
    public int MaxPlanLength { get; init; } = 5;

    /// <summary>Steps after which a subgoal of a fixed plan is given up.</summary>
    public int FixedSubgoalTimeout { get; init; } = 1500;

    /// <summary>What it knows of the map: all of it, or only the student's view window (what the prompt shows).</summary>
    public TeacherVision Vision { get; init; } = TeacherVision.Full;
}

/// <summary>
/// The scripted expert that writes the SFT data: full state access, shortest paths (<see cref="Navigator"/>), the
/// tech tree (wood → table → wood tools → stone → stone tools → furnace → coal, iron → iron tools → diamond), survival
/// (drinks, eats cows and ripe plants, sleeps in a dug-out shelter sealed with stone), fights zombies and skeletons,
/// plants saplings and walls them in with stone. Each step it picks a goal by priority, runs that goal's skill (which
/// may call the skills of missing prerequisites), and, when its <see cref="PlanningSchedule"/> says so, writes the
/// chain of subgoals it is working on plus the next ones in the tech tree as its plan.
/// </summary>
public sealed partial class Teacher : IAgent
{
    private static readonly Subgoal[] Progression =
    [
        Subgoal.CollectWood, Subgoal.PlaceTable, Subgoal.MakeWoodPickaxe, Subgoal.MakeWoodSword,
        Subgoal.CollectSapling, Subgoal.PlacePlant, Subgoal.CollectStone, Subgoal.PlaceStone,
        Subgoal.MakeStonePickaxe, Subgoal.MakeStoneSword, Subgoal.PlaceFurnace, Subgoal.CollectCoal,
        Subgoal.CollectIron, Subgoal.MakeIronPickaxe, Subgoal.MakeIronSword, Subgoal.CollectDiamond,
        Subgoal.EatCow, Subgoal.CollectDrink, Subgoal.DefeatZombie, Subgoal.DefeatSkeleton, Subgoal.EatPlant,
        Subgoal.WakeUp,
    ];

    private readonly TeacherOptions _options;
    private readonly AgentContext _context = new();
    private readonly List<Subgoal> _chain = new(8);
    private CrafterEnv _env = null!;
    private Navigator _nav = null!;
    private Random _random = new(0);

    // Memory across steps.
    private bool _drinking, _eating, _resting;
    private Subgoal? _lastLeaf;
    private int _lastHealth;
    private bool _threatWasNear;
    private (int X, int Y, int Steps)? _exploreTarget;
    private int _heading = -1; // local-vision exploring: the way it walks when the recent actions show no move
    private Shelter? _shelter;

    // Fixed plan progress.
    private int _fixedIndex;
    private int _fixedStartStep;
    private readonly int[] _fixedStartAchievements = new int[CrafterNames.AchievementCount];
    private int _fixedStartFood, _fixedStartDrink;

    public Teacher(TeacherOptions? options = null)
    {
        _options = options ?? new TeacherOptions();
        if (_options.MaxPlanLength < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxPlanLength must be at least 1.");
    }

    public string Name => _options.FixedPlan is null ? "teacher" : "plan";

    public AgentContext Context => _context;

    public TeacherOptions Options => _options;

    /// <summary>The subgoal the last decision worked on (the innermost of its chain).</summary>
    public Subgoal? CurrentSubgoal => _lastLeaf;

    /// <summary>Index of the fixed plan's current subgoal (= its length once done).</summary>
    public int FixedPlanIndex => _fixedIndex;

    public void Reset(CrafterEnv env)
    {
        _env = env;
        if (_nav is null || _nav.Width != env.World.Width || _nav.Height != env.World.Height)
            _nav = new Navigator(env.World.Width, env.World.Height);
        _nav.LocalVision = _options.Vision == TeacherVision.Local;
        _random = new Random(unchecked((int)(env.Seed * 7919 + env.Episode)));
        _context.Reset();
        _drinking = _eating = _resting = false;
        _lastLeaf = null;
        _lastHealth = env.Player.Health;
        _threatWasNear = false;
        _exploreTarget = null;
        _heading = -1;
        _shelter = null;
        _fixedIndex = 0;
        if (_options.FixedPlan is { Count: > 0 } plan)
        {
            _context.SetPlan(plan);
            StartFixedSubgoal();
        }
    }

    public AgentDecision Decide(CrafterEnv env)
    {
        if (!ReferenceEquals(env, _env)) throw new InvalidOperationException("Call Reset(env) before Decide(env) on a new env.");
        _nav.Compute(env);
        _materialCostValid = false;
        _chain.Clear();
        var action = ChooseAction();
        Subgoal leaf = _chain.Count > 0 ? _chain[^1] : Subgoal.Explore;

        var player = env.Player;
        bool threatNear = NearestObject(ObjectKind.Zombie, 4) is not null || NearestObject(ObjectKind.Skeleton, 4) is not null;
        bool unexpected = (threatNear && !_threatWasNear) || player.Health < _lastHealth;
        bool changed = _lastLeaf is null || _lastLeaf != leaf;
        _threatWasNear = threatNear;
        _lastHealth = player.Health;
        _lastLeaf = leaf;

        AgentDecision decision;
        if (_options.FixedPlan is null && _options.Schedule.ShouldPlan(_context.Step, changed || unexpected))
            decision = AgentDecision.WithPlan(action, BuildPlan());
        else
            decision = AgentDecision.ActOnlyDecision(action);
        _context.Record(decision);
        return decision;
    }

    /// <summary>
    /// What the teacher would output in the state another agent (a student) reached, given that agent's context (its plan
    /// and recent actions, which the prompt shows): the label of DAgger-style data. Call it every step of the student's
    /// episode after <see cref="Reset"/>, so that the teacher's own memory (needs, shelter) follows the episode.
    /// </summary>
    public AgentDecision Label(CrafterEnv env, AgentContext studentContext)
    {
        _context.CopyFrom(studentContext);
        return Decide(env);
    }

    /// <summary>The plan: the chain being worked on, innermost first, then the next unfinished tech-tree goals.</summary>
    private Subgoal[] BuildPlan()
    {
        var plan = new List<Subgoal>(_options.MaxPlanLength);
        for (int i = _chain.Count - 1; i >= 0 && plan.Count < _options.MaxPlanLength; i--)
            if (!plan.Contains(_chain[i])) plan.Add(_chain[i]);
        var achievements = _env.Player.Achievements;
        foreach (var goal in Progression)
        {
            if (plan.Count >= _options.MaxPlanLength) break;
            if (achievements[(int)goal] > 0 || plan.Contains(goal)) continue;
            plan.Add(goal);
        }
        if (plan.Count == 0) plan.Add(Subgoal.Explore);
        return [.. plan];
    }

    private CrafterAction ChooseAction()
    {
        var player = _env.Player;
        if (player.Sleeping)
        {
            _chain.Add(Subgoal.Sleep);
            return CrafterAction.Noop;
        }
        UpdateNeeds();
        if (_options.FixedPlan is { } plan && _fixedIndex < plan.Count)
        {
            var urgent = UrgentGoal(critical: true);
            if (urgent is { } u) return Execute(u, 0);
            while (_fixedIndex < plan.Count && FixedSubgoalDone(plan[_fixedIndex]))
            {
                _fixedIndex++;
                StartFixedSubgoal();
            }
            if (_fixedIndex < plan.Count) return Execute(plan[_fixedIndex], 0);
        }
        return Execute(SelectGoal(), 0);
    }

    private void UpdateNeeds()
    {
        var p = _env.Player;
        if (p[Item.Drink] <= 4) _drinking = true;
        if (p[Item.Drink] >= 9) _drinking = false;
        if (p[Item.Food] <= 4) _eating = true;
        if (p[Item.Food] >= 8) _eating = false;
        if (p[Item.Energy] <= 3) _resting = true;
        if (p[Item.Energy] >= 9 && !p.Sleeping) _resting = false;
    }

    /// <summary>Threats and needs that come before any plan. <paramref name="critical"/>: only the pressing ones.</summary>
    private Subgoal? UrgentGoal(bool critical)
    {
        var p = _env.Player;
        bool night = IsNight && p[Item.WoodPickaxe] > 0;
        if (night && IsEnclosed(p.X, p.Y) && p[Item.Drink] > 2 && p[Item.Food] > 2 && p.Health > 0) return Subgoal.Sleep;
        int zombieRange = critical ? 1 : 3;
        if (NearestObject(ObjectKind.Zombie, zombieRange) is not null) return Subgoal.DefeatZombie;
        if (NearestObject(ObjectKind.Skeleton, critical ? 1 : 3) is not null && p.Health >= 3) return Subgoal.DefeatSkeleton;
        if (critical)
        {
            if (p[Item.Drink] <= 2) return Subgoal.DrinkWater;
            if (p[Item.Food] <= 2) return Subgoal.EatFood;
            if (p[Item.Energy] <= 1) return Subgoal.Sleep;
            return null;
        }
        if (_drinking && p[Item.Drink] < 9) return Subgoal.DrinkWater;
        if (_eating) return Subgoal.EatFood;
        if (night) return Subgoal.Sleep;
        if (_resting) return Subgoal.Sleep;
        if (_env.World.Daylight < 0.25 && p[Item.Energy] <= 6 && p[Item.WoodPickaxe] > 0) return Subgoal.Sleep;
        return null;
    }

    /// <summary>The teacher's own judgement: urgent needs first, then the first unfinished feasible tech-tree goal.</summary>
    private Subgoal SelectGoal()
    {
        if (UrgentGoal(critical: false) is { } urgent) return urgent;
        var p = _env.Player;
        var achievements = p.Achievements;
        // Stock up on wood before the first table, so that the wood tools follow without another trip.
        if (achievements[(int)Achievement.PlaceTable] == 0 && p[Item.Wood] < 5 && Feasible(Subgoal.CollectWood)) return Subgoal.CollectWood;
        // Top up drink when water is close anyway.
        if (p[Item.Drink] <= 6 && CheapestCellCost(Material.Water) <= 6) return Subgoal.DrinkWater;
        // A sapling in hand is planted and walled in once there is stone for the wall.
        foreach (var goal in Progression)
        {
            if (achievements[(int)goal] > 0) continue;
            if (Feasible(goal)) return goal;
        }
        if (p[Item.Energy] < 9 && _env.World.Daylight < 0.35) return Subgoal.Sleep;
        if (p[Item.Drink] < 8) return Subgoal.DrinkWater;
        if (p[Item.Food] < 7) return Subgoal.EatFood;
        return Subgoal.Explore;
    }

    private bool Feasible(Subgoal goal)
    {
        var p = _env.Player;
        return goal switch
        {
            Subgoal.CollectWood => CheapestCellCost(Material.Tree) < Navigator.Unreachable || p[Item.Wood] > 0,
            Subgoal.CollectStone => CheapestCellCost(Material.Stone) < Navigator.Unreachable,
            Subgoal.CollectCoal => CheapestCellCost(Material.Coal) < Navigator.Unreachable,
            Subgoal.CollectIron => CheapestCellCost(Material.Iron) < Navigator.Unreachable,
            Subgoal.CollectDiamond => CheapestCellCost(Material.Diamond) < Navigator.Unreachable,
            Subgoal.CollectDrink => CheapestCellCost(Material.Water) < Navigator.Unreachable,
            Subgoal.CollectSapling => CheapestCellCost(Material.Grass) < Navigator.Unreachable,
            Subgoal.PlacePlant => p[Item.Sapling] > 0 || p.Achievements[(int)Achievement.CollectSapling] == 0,
            Subgoal.MakeIronPickaxe or Subgoal.MakeIronSword =>
                (p[Item.Iron] > 0 || CheapestCellCost(Material.Iron) < Navigator.Unreachable)
                && (p[Item.Coal] > 0 || CheapestCellCost(Material.Coal) < Navigator.Unreachable),
            Subgoal.EatCow => NearestObject(ObjectKind.Cow, 200, reachable: true) is not null,
            Subgoal.DefeatZombie => NearestObject(ObjectKind.Zombie, 200, reachable: true) is not null,
            Subgoal.DefeatSkeleton => p.Health >= 5 && NearestObject(ObjectKind.Skeleton, 200, reachable: true) is not null,
            Subgoal.EatPlant => p.Achievements[(int)Achievement.PlacePlant] > 0 || p[Item.Sapling] > 0,
            _ => true,
        };
    }

    private void StartFixedSubgoal()
    {
        var p = _env.Player;
        _fixedStartStep = _context.Step;
        p.Achievements.CopyTo(_fixedStartAchievements);
        _fixedStartFood = p[Item.Food];
        _fixedStartDrink = p[Item.Drink];
        _exploreTarget = null;
    }

    private bool FixedSubgoalDone(Subgoal goal)
    {
        var p = _env.Player;
        if (_context.Step - _fixedStartStep >= _options.FixedSubgoalTimeout) return true;
        if (goal.IsAchievement()) return p.Achievements[(int)goal] > _fixedStartAchievements[(int)goal];
        return goal switch
        {
            Subgoal.DrinkWater => p[Item.Drink] >= 9 || p.Achievements[(int)Achievement.CollectDrink] > _fixedStartAchievements[(int)Achievement.CollectDrink] && p[Item.Drink] > _fixedStartDrink + 2,
            Subgoal.EatFood => p[Item.Food] > _fixedStartFood,
            Subgoal.Sleep => p.Achievements[(int)Achievement.WakeUp] > _fixedStartAchievements[(int)Achievement.WakeUp],
            Subgoal.BuildShelter => IsEnclosed(p.X, p.Y),
            Subgoal.FindCow => AdjacentObject(ObjectKind.Cow) is not null,
            Subgoal.FindTree => AdjacentMaterial(Material.Tree),
            Subgoal.FindStone => AdjacentMaterial(Material.Stone),
            Subgoal.FindWater => AdjacentMaterial(Material.Water),
            Subgoal.FindCoal => AdjacentMaterial(Material.Coal),
            Subgoal.FindIron => AdjacentMaterial(Material.Iron),
            Subgoal.FindDiamond => AdjacentMaterial(Material.Diamond),
            Subgoal.AvoidZombie => NearestObject(ObjectKind.Zombie, 6) is null,
            Subgoal.AvoidSkeleton => NearestObject(ObjectKind.Skeleton, 6) is null,
            Subgoal.Explore => _context.Step - _fixedStartStep >= 30,
            _ => false,
        };
    }

    // ----- queries -----

    /// <summary>The dark part of Crafter's 300-step day (zombies spawn on grass below daylight 0.83): hide then.</summary>
    private bool IsNight
    {
        get
        {
            int phase = _env.StepCount % 300;
            return phase >= 130 && phase < 290;
        }
    }

    private World World => _env.World;

    /// <summary>Is the cell known to the teacher this step (always, unless it sees only the view window)?</summary>
    private bool Visible(int x, int y) => _nav.Visible(x, y);

    private Player Player => _env.Player;

    /// <summary>Nearest object of a kind within a Manhattan radius (optionally only ones the player can reach,
    /// then nearest by path cost).</summary>
    private GameObject? NearestObject(ObjectKind kind, int radius, bool reachable = false)
    {
        var p = Player;
        if (reachable)
        {
            GameObject? nearest = null;
            int nearestCost = Navigator.Unreachable;
            foreach (var o in _nav.ObjectsThisStep)
            {
                if (o.Kind != kind || o.Removed || o.Distance(p) > radius) continue;
                int c = ApproachCost(o.X, o.Y);
                if (c < nearestCost)
                {
                    nearestCost = c;
                    nearest = o;
                }
            }
            return nearest;
        }
        GameObject? best = null;
        int bestDistance = int.MaxValue;
        int x0 = Math.Max(0, p.X - radius), x1 = Math.Min(World.Width - 1, p.X + radius);
        int y0 = Math.Max(0, p.Y - radius), y1 = Math.Min(World.Height - 1, p.Y + radius);
        for (int x = x0; x <= x1; x++)
        for (int y = y0; y <= y1; y++)
        {
            if (!Visible(x, y)) continue;
            var obj = World.GetObject(x, y);
            if (obj is null || obj.Kind != kind) continue;
            int d = Math.Abs(x - p.X) + Math.Abs(y - p.Y);
            if (d > radius || d >= bestDistance) continue;
            bestDistance = d;
            best = obj;
        }
        return best;
    }

    /// <summary>Cheapest cost to stand next to (x, y).</summary>
    private int ApproachCost(int x, int y)
    {
        int best = Navigator.Unreachable;
        for (int d = 0; d < 4; d++)
            best = Math.Min(best, _nav.Distance(x + Navigator.Dx[d], y + Navigator.Dy[d]));
        return best;
    }

    private GameObject? AdjacentObject(ObjectKind kind)
    {
        var p = Player;
        for (int d = 0; d < 4; d++)
            if (World.GetObject(p.X + Navigator.Dx[d], p.Y + Navigator.Dy[d]) is { } o && o.Kind == kind) return o;
        return null;
    }

    private bool AdjacentMaterial(Material m)
    {
        var p = Player;
        for (int d = 0; d < 4; d++)
            if (World.GetMaterial(p.X + Navigator.Dx[d], p.Y + Navigator.Dy[d]) == m) return true;
        return false;
    }

    private readonly int[] _materialCost = new int[16];
    private bool _materialCostValid;

    /// <summary>Cheapest cost to stand next to a cell of a material (Unreachable when there is none); one pass a step.</summary>
    private int CheapestCellCost(Material m)
    {
        if (!_materialCostValid)
        {
            Array.Fill(_materialCost, Navigator.Unreachable);
            var map = World.MaterialMap;
            int w = World.Width, h = World.Height;
            foreach (int s in _nav.Settled)
            {
                int ds = _nav.DistanceOfIndex(s);
                int sx = s / h, sy = s % h;
                if (sx > 0 && _materialCost[map[s - h]] > ds && Visible(sx - 1, sy)) _materialCost[map[s - h]] = ds;
                if (sx < w - 1 && _materialCost[map[s + h]] > ds && Visible(sx + 1, sy)) _materialCost[map[s + h]] = ds;
                if (sy > 0 && _materialCost[map[s - 1]] > ds && Visible(sx, sy - 1)) _materialCost[map[s - 1]] = ds;
                if (sy < h - 1 && _materialCost[map[s + 1]] > ds && Visible(sx, sy + 1)) _materialCost[map[s + 1]] = ds;
            }
            _materialCostValid = true;
        }
        return _materialCost[(int)m];
    }
}
