using Rollouts.Crafter.Engine;

namespace Rollouts.Crafter.Objects;

/// <summary>The agent's body: inventory, achievements, the four life counters and the action rules.</summary>
public sealed class Player : GameObject
{
    private const int MaxAmount = 9;
    private const int PlayerWalkable = WalkableMask | (1 << (int)Material.Lava);

    private readonly int[] _inventory = new int[CrafterNames.ItemCount];
    private readonly int[] _achievements = new int[CrafterNames.AchievementCount];
    private int _lastHealth;

    public Player(World world) : base(world, ObjectKind.Player) { }

    public int FacingX { get; private set; }

    public int FacingY { get; private set; }

    public bool Sleeping { get; private set; }

    public CrafterAction Action { get; set; }

    // Life counters move in steps of 0.5 while asleep, so they are doubles as in the reference.
    public double Hunger { get; private set; }

    public double Thirst { get; private set; }

    public double Fatigue { get; private set; }

    public double Recover { get; private set; }

    public ReadOnlySpan<int> Inventory => _inventory;

    public ReadOnlySpan<int> Achievements => _achievements;

    public int this[Item item] => _inventory[(int)item];

    public override int Health
    {
        get => _inventory[(int)Item.Health];
        set => _inventory[(int)Item.Health] = Math.Max(0, value);
    }

    public override string Texture => Sleeping
        ? "player-sleep"
        : (FacingX, FacingY) switch
        {
            (-1, 0) => "player-left",
            (1, 0) => "player-right",
            (0, -1) => "player-up",
            _ => "player-down",
        };

    protected override int Walkable => PlayerWalkable;

    internal void Init(int x, int y)
    {
        Place(x, y);
        FacingX = 0;
        FacingY = 1;
        Array.Clear(_inventory);
        for (int i = 0; i < 4; i++) _inventory[i] = 9;
        Array.Clear(_achievements);
        Action = CrafterAction.Noop;
        Sleeping = false;
        _lastHealth = Health;
        Hunger = Thirst = Fatigue = Recover = 0;
    }

    public override void Update()
    {
        int tx = X + FacingX, ty = Y + FacingY;
        var material = World.GetMaterial(tx, ty);
        var obj = World.GetObject(tx, ty);
        var action = Action;
        if (Sleeping)
        {
            if (_inventory[(int)Item.Energy] < MaxAmount)
            {
                action = CrafterAction.Sleep;
            }
            else
            {
                Sleeping = false;
                _achievements[(int)Achievement.WakeUp]++;
            }
        }

        switch (action)
        {
            case CrafterAction.Noop:
                break;
            case CrafterAction.MoveLeft: MoveFacing(-1, 0); break;
            case CrafterAction.MoveRight: MoveFacing(1, 0); break;
            case CrafterAction.MoveUp: MoveFacing(0, -1); break;
            case CrafterAction.MoveDown: MoveFacing(0, 1); break;
            case CrafterAction.Do:
                if (obj is not null) DoObject(obj);
                else DoMaterial(tx, ty, material);
                break;
            case CrafterAction.Sleep:
                if (_inventory[(int)Item.Energy] < MaxAmount) Sleeping = true;
                break;
            case CrafterAction.PlaceStone: Place(Material.Stone, tx, ty, material); break;
            case CrafterAction.PlaceTable: Place(Material.Table, tx, ty, material); break;
            case CrafterAction.PlaceFurnace: Place(Material.Furnace, tx, ty, material); break;
            case CrafterAction.PlacePlant: PlacePlant(tx, ty, material); break;
            default: Make(action); break;
        }

        UpdateLifeStats();
        DegenerateOrRegenerateHealth();
        for (int i = 0; i < _inventory.Length; i++) _inventory[i] = Math.Max(0, Math.Min(_inventory[i], MaxAmount));
        // After the clamp, because it compares the clamped health.
        WakeUpWhenHurt();
    }

    private void UpdateLifeStats()
    {
        Hunger += Sleeping ? 0.5 : 1;
        if (Hunger > 25)
        {
            Hunger = 0;
            _inventory[(int)Item.Food]--;
        }
        Thirst += Sleeping ? 0.5 : 1;
        if (Thirst > 20)
        {
            Thirst = 0;
            _inventory[(int)Item.Drink]--;
        }
        if (Sleeping) Fatigue = Math.Min(Fatigue - 1, 0);
        else Fatigue += 1;
        if (Fatigue < -10)
        {
            Fatigue = 0;
            _inventory[(int)Item.Energy]++;
        }
        if (Fatigue > 30)
        {
            Fatigue = 0;
            _inventory[(int)Item.Energy]--;
        }
    }

    private void DegenerateOrRegenerateHealth()
    {
        bool necessities = _inventory[(int)Item.Food] > 0 && _inventory[(int)Item.Drink] > 0
            && (_inventory[(int)Item.Energy] > 0 || Sleeping);
        if (necessities) Recover += Sleeping ? 2 : 1;
        else Recover -= Sleeping ? 0.5 : 1;
        if (Recover > 25)
        {
            Recover = 0;
            Health += 1;
        }
        if (Recover < -15)
        {
            Recover = 0;
            Health -= 1;
        }
    }

    private void WakeUpWhenHurt()
    {
        if (Health < _lastHealth) Sleeping = false;
        _lastHealth = Health;
    }

    private void MoveFacing(int dx, int dy)
    {
        FacingX = dx;
        FacingY = dy;
        Move(dx, dy);
        if (World.GetMaterial(X, Y) == Material.Lava) Health = 0;
    }

    private void DoObject(GameObject obj)
    {
        int damage = 1;
        if (_inventory[(int)Item.WoodSword] > 0) damage = Math.Max(damage, 2);
        if (_inventory[(int)Item.StoneSword] > 0) damage = Math.Max(damage, 3);
        if (_inventory[(int)Item.IronSword] > 0) damage = Math.Max(damage, 5);
        switch (obj)
        {
            case Plant plant:
                if (plant.IsRipe)
                {
                    plant.Grown = 0;
                    _inventory[(int)Item.Food] += 4;
                    _achievements[(int)Achievement.EatPlant]++;
                }
                break;
            case Zombie zombie:
                zombie.Health -= damage;
                if (zombie.Health <= 0) _achievements[(int)Achievement.DefeatZombie]++;
                break;
            case Skeleton skeleton:
                skeleton.Health -= damage;
                if (skeleton.Health <= 0) _achievements[(int)Achievement.DefeatSkeleton]++;
                break;
            case Cow cow:
                cow.Health -= damage;
                if (cow.Health <= 0)
                {
                    _inventory[(int)Item.Food] += 6;
                    _achievements[(int)Achievement.EatCow]++;
                    Hunger = 0;
                }
                break;
        }
    }

    private void DoMaterial(int x, int y, Material material)
    {
        if (material == Material.Water) Thirst = 0;
        Item required;
        Item received;
        Achievement achievement;
        Material leaves;
        double probability = 1;
        switch (material)
        {
            case Material.Tree: required = Item.Health; received = Item.Wood; achievement = Achievement.CollectWood; leaves = Material.Grass; break;
            case Material.Stone: required = Item.WoodPickaxe; received = Item.Stone; achievement = Achievement.CollectStone; leaves = Material.Path; break;
            case Material.Coal: required = Item.WoodPickaxe; received = Item.Coal; achievement = Achievement.CollectCoal; leaves = Material.Path; break;
            case Material.Iron: required = Item.StonePickaxe; received = Item.Iron; achievement = Achievement.CollectIron; leaves = Material.Path; break;
            case Material.Diamond: required = Item.IronPickaxe; received = Item.Diamond; achievement = Achievement.CollectDiamond; leaves = Material.Path; break;
            case Material.Water: required = Item.Health; received = Item.Drink; achievement = Achievement.CollectDrink; leaves = Material.Water; break;
            case Material.Grass: required = Item.Health; received = Item.Sapling; achievement = Achievement.CollectSapling; leaves = Material.Grass; probability = 0.1; break;
            default: return;
        }
        // Item.Health stands for "no requirement" (health is at least 1 while the player acts).
        if (required != Item.Health && _inventory[(int)required] < 1) return;
        World.SetMaterial(x, y, leaves);
        if (Random.NextDouble() <= probability)
        {
            _inventory[(int)received]++;
            _achievements[(int)achievement]++;
        }
    }

    private void Place(Material what, int x, int y, Material target)
    {
        if (World.GetObject(x, y) is not null) return;
        bool allowed = what == Material.Stone
            ? target is Material.Grass or Material.Sand or Material.Path or Material.Water or Material.Lava
            : target is Material.Grass or Material.Sand or Material.Path;
        if (!allowed) return;
        var (item, amount, achievement) = what switch
        {
            Material.Stone => (Item.Stone, 1, Achievement.PlaceStone),
            Material.Table => (Item.Wood, 2, Achievement.PlaceTable),
            _ => (Item.Stone, 4, Achievement.PlaceFurnace),
        };
        if (_inventory[(int)item] < amount) return;
        _inventory[(int)item] -= amount;
        World.SetMaterial(x, y, what);
        _achievements[(int)achievement]++;
    }

    private void PlacePlant(int x, int y, Material target)
    {
        if (World.GetObject(x, y) is not null) return;
        if (target != Material.Grass) return;
        if (_inventory[(int)Item.Sapling] < 1) return;
        _inventory[(int)Item.Sapling]--;
        World.Add(World.Pool.RentPlant(World).Init(x, y));
        _achievements[(int)Achievement.PlacePlant]++;
    }

    private void Make(CrafterAction action)
    {
        bool needsFurnace = action is CrafterAction.MakeIronPickaxe or CrafterAction.MakeIronSword;
        if (!World.IsNearby(X, Y, 1, Material.Table)) return;
        if (needsFurnace && !World.IsNearby(X, Y, 1, Material.Furnace)) return;
        var (tool, achievement) = action switch
        {
            CrafterAction.MakeWoodPickaxe => (Item.WoodPickaxe, Achievement.MakeWoodPickaxe),
            CrafterAction.MakeStonePickaxe => (Item.StonePickaxe, Achievement.MakeStonePickaxe),
            CrafterAction.MakeIronPickaxe => (Item.IronPickaxe, Achievement.MakeIronPickaxe),
            CrafterAction.MakeWoodSword => (Item.WoodSword, Achievement.MakeWoodSword),
            CrafterAction.MakeStoneSword => (Item.StoneSword, Achievement.MakeStoneSword),
            _ => (Item.IronSword, Achievement.MakeIronSword),
        };
        // Wood tools cost 1 wood; stone tools 1 wood + 1 stone; iron tools 1 wood + 1 coal + 1 iron.
        bool stone = tool is Item.StonePickaxe or Item.StoneSword;
        bool iron = tool is Item.IronPickaxe or Item.IronSword;
        if (_inventory[(int)Item.Wood] < 1) return;
        if (stone && _inventory[(int)Item.Stone] < 1) return;
        if (iron && (_inventory[(int)Item.Coal] < 1 || _inventory[(int)Item.Iron] < 1)) return;
        _inventory[(int)Item.Wood]--;
        if (stone) _inventory[(int)Item.Stone]--;
        if (iron)
        {
            _inventory[(int)Item.Coal]--;
            _inventory[(int)Item.Iron]--;
        }
        _inventory[(int)tool]++;
        _achievements[(int)achievement]++;
    }
}
