using Rollouts.Crafter;
using Rollouts.Crafter.Objects;

namespace Rollouts.Agent.Teaching;

public sealed partial class Teacher
{
    /// <summary>Wood a table takes and stone a furnace takes (Crafter's data.yaml as the port implements it).</summary>
    internal const int TableWood = 2, FurnaceStone = 4;

    private const int StationReach = 30;

    /// <summary>A place to act on a target cell: stand at S facing direction Dir.</summary>
    private readonly record struct Approach(int Cost, int Sx, int Sy, int Dir, bool TargetFree);

    private sealed record Shelter(int Ax, int Ay, int Dir)
    {
        public int Bx => Ax + Navigator.Dx[Dir];
        public int By => Ay + Navigator.Dy[Dir];
        public int Cx => Ax + 2 * Navigator.Dx[Dir];
        public int Cy => Ay + 2 * Navigator.Dy[Dir];
    }

    private CrafterAction Execute(Subgoal goal, int depth)
    {
        _chain.Add(goal);
        if (depth > 6) return Explore();
        var p = Player;
        switch (goal)
        {
            case Subgoal.CollectWood:
                return Collect(Material.Tree);
            case Subgoal.CollectStone:
                if (p[Item.WoodPickaxe] == 0) return Execute(Subgoal.MakeWoodPickaxe, depth + 1);
                return Collect(Material.Stone);
            case Subgoal.CollectCoal:
                if (p[Item.WoodPickaxe] == 0) return Execute(Subgoal.MakeWoodPickaxe, depth + 1);
                return Collect(Material.Coal);
            case Subgoal.CollectIron:
                if (p[Item.StonePickaxe] == 0) return Execute(Subgoal.MakeStonePickaxe, depth + 1);
                return Collect(Material.Iron);
            case Subgoal.CollectDiamond:
                if (p[Item.IronPickaxe] == 0) return Execute(Subgoal.MakeIronPickaxe, depth + 1);
                return Collect(Material.Diamond);
            case Subgoal.CollectDrink:
            case Subgoal.DrinkWater:
                return Collect(Material.Water);
            case Subgoal.CollectSapling:
                return CollectSapling();
            case Subgoal.PlaceTable:
                if (p[Item.Wood] < TableWood) return Execute(Subgoal.CollectWood, depth + 1);
                return Place(Material.Table, CrafterAction.PlaceTable, requireTable: false);
            case Subgoal.PlaceFurnace:
                if (p[Item.Stone] < FurnaceStone)
                    return Execute(p[Item.WoodPickaxe] == 0 ? Subgoal.MakeWoodPickaxe : Subgoal.CollectStone, depth + 1);
                if (FindStation(furnace: false) is null) return Execute(Subgoal.PlaceTable, depth + 1);
                return Place(Material.Furnace, CrafterAction.PlaceFurnace, requireTable: true);
            case Subgoal.PlaceStone:
                if (p[Item.Stone] < 1)
                    return Execute(p[Item.WoodPickaxe] == 0 ? Subgoal.MakeWoodPickaxe : Subgoal.CollectStone, depth + 1);
                return Place(Material.Stone, CrafterAction.PlaceStone, requireTable: false);
            case Subgoal.PlacePlant:
                if (p[Item.Sapling] < 1) return Execute(Subgoal.CollectSapling, depth + 1);
                return Place(Material.Grass, CrafterAction.PlacePlant, requireTable: false);
            case Subgoal.MakeWoodPickaxe:
                return Make(CrafterAction.MakeWoodPickaxe, depth, stone: false, iron: false);
            case Subgoal.MakeWoodSword:
                return Make(CrafterAction.MakeWoodSword, depth, stone: false, iron: false);
            case Subgoal.MakeStonePickaxe:
                return Make(CrafterAction.MakeStonePickaxe, depth, stone: true, iron: false);
            case Subgoal.MakeStoneSword:
                return Make(CrafterAction.MakeStoneSword, depth, stone: true, iron: false);
            case Subgoal.MakeIronPickaxe:
                return Make(CrafterAction.MakeIronPickaxe, depth, stone: false, iron: true);
            case Subgoal.MakeIronSword:
                return Make(CrafterAction.MakeIronSword, depth, stone: false, iron: true);
            case Subgoal.EatCow:
            case Subgoal.FindCow:
                return Attack(ObjectKind.Cow, goal == Subgoal.FindCow);
            case Subgoal.EatFood:
                if (FindRipePlant() is not null) return Execute(Subgoal.EatPlant, depth + 1);
                return Execute(Subgoal.EatCow, depth + 1);
            case Subgoal.DefeatZombie:
                return Attack(ObjectKind.Zombie, findOnly: false);
            case Subgoal.DefeatSkeleton:
                return Attack(ObjectKind.Skeleton, findOnly: false);
            case Subgoal.AvoidZombie:
                return Flee(ObjectKind.Zombie);
            case Subgoal.AvoidSkeleton:
                return Flee(ObjectKind.Skeleton);
            case Subgoal.EatPlant:
                return EatPlant(depth);
            case Subgoal.Sleep:
            case Subgoal.WakeUp:
                return SleepSafely(seal: true);
            case Subgoal.BuildShelter:
                if (IsEnclosed(p.X, p.Y)) return CrafterAction.Noop;
                return SleepSafely(seal: false);
            case Subgoal.FindTree: return Find(Material.Tree);
            case Subgoal.FindStone: return Find(Material.Stone);
            case Subgoal.FindWater: return Find(Material.Water);
            case Subgoal.FindCoal: return Find(Material.Coal);
            case Subgoal.FindIron: return Find(Material.Iron);
            case Subgoal.FindDiamond: return Find(Material.Diamond);
            default:
                return Explore();
        }
    }

    // ----- movement primitives -----

    private bool Facing(int d) => Navigator.Faces(Player, d);

    private bool IsFreeWalkable(int x, int y) => Navigator.IsFree(World, x, y);

    /// <summary>One step along the shortest path to (x, y): move, or clear the way (mine, cut, hit) when blocked.</summary>
    private CrafterAction StepToward(int x, int y)
    {
        var p = Player;
        if (p.X == x && p.Y == y) return CrafterAction.Noop;
        if (_nav.Distance(x, y) == Navigator.Unreachable) return Explore();
        int d = _nav.FirstDirection(x, y);
        int nx = p.X + Navigator.Dx[d], ny = p.Y + Navigator.Dy[d];
        if (IsFreeWalkable(nx, ny)) return Navigator.MoveAction(d);
        var material = World.GetMaterial(nx, ny);
        if (material == Material.Lava) return CrafterAction.Noop; // never step toward lava
        return Facing(d) ? CrafterAction.Do : Navigator.MoveAction(d);
    }

    /// <summary>The action that carries out an approach: the act itself once in place.</summary>
    private CrafterAction Carry(Approach a, CrafterAction act)
    {
        var p = Player;
        if (p.X == a.Sx && p.Y == a.Sy && Facing(a.Dir)) return act;
        if (_nav.ApproachWaypoint(a.Sx, a.Sy, a.Dir, a.TargetFree, out int wx, out int wy)) return StepToward(wx, wy);
        // In place: toward a blocked target this only turns; a free target's stand cell may have been taken meanwhile.
        return a.TargetFree && !IsFreeWalkable(a.Sx, a.Sy) ? StepToward(a.Sx, a.Sy) : Navigator.MoveAction(a.Dir);
    }

    /// <summary>
    /// The cheapest way to stand next to a target cell and face it. A blocked target is faced by a move toward it
    /// (which only turns); a free one by arriving at the standing cell with a move in its direction.
    /// </summary>
    private Approach? FindApproach(Func<int, int, bool> isTarget, Func<int, int, bool>? standOk = null)
    {
        Approach? best = null;
        int h = World.Height;
        foreach (int s in _nav.Settled)
        {
            int ds = _nav.DistanceOfIndex(s);
            // A free target is reached from a neighbour of S, at least 3 cheaper than S: no better one past here.
            if (best is { } b && ds - 3 > b.Cost) break;
            int sx = s / h, sy = s % h;
            if (standOk is not null && !standOk(sx, sy)) continue;
            for (int d = 0; d < 4; d++)
            {
                int tx = sx + Navigator.Dx[d], ty = sy + Navigator.Dy[d];
                if (!World.IsInside(tx, ty) || !Visible(tx, ty) || !isTarget(tx, ty)) continue;
                bool free = IsFreeWalkable(tx, ty);
                int cost = _nav.ApproachCost(sx, sy, d, free, Facing(d));
                if (cost == Navigator.Unreachable) continue;
                if (best is null || cost < best.Value.Cost) best = new Approach(cost, sx, sy, d, free);
            }
        }
        return best;
    }

    // ----- skills -----

    private CrafterAction Collect(Material m)
    {
        var a = FindApproach((x, y) => World.GetMaterial(x, y) == m && World.GetObject(x, y) is null);
        return a is { } approach ? Carry(approach, CrafterAction.Do) : Explore();
    }

    private CrafterAction Find(Material m)
    {
        var a = FindApproach((x, y) => World.GetMaterial(x, y) == m);
        return a is { } approach ? Carry(approach, CrafterAction.Noop) : Explore();
    }

    private CrafterAction CollectSapling()
    {
        var a = FindApproach((x, y) => World.GetMaterial(x, y) == Material.Grass && World.GetObject(x, y) is null
            && !(x == Player.X && y == Player.Y));
        return a is { } approach ? Carry(approach, CrafterAction.Do) : Explore();
    }

    private bool CanPlace(Material what, int x, int y)
    {
        if (!World.IsInside(x, y) || World.GetObject(x, y) is not null) return false;
        if (x == Player.X && y == Player.Y) return false;
        var m = World.GetMaterial(x, y);
        return what switch
        {
            Material.Stone => m is Material.Grass or Material.Sand or Material.Path or Material.Water,
            Material.Grass => m == Material.Grass, // a plant
            _ => m is Material.Grass or Material.Sand or Material.Path,
        };
    }

    private CrafterAction Place(Material what, CrafterAction act, bool requireTable)
    {
        Func<int, int, bool>? stand = requireTable ? (x, y) => World.IsNearby(x, y, 1, Material.Table) : null;
        var a = FindApproach((x, y) => CanPlace(what, x, y), stand);
        return a is { } approach ? Carry(approach, act) : Explore();
    }

    /// <summary>Nearest cell to stand at with a table (and a furnace) within reach, or null.</summary>
    private (int X, int Y, int Cost)? FindStation(bool furnace)
    {
        (int, int, int)? best = null;
        int w = World.Width, h = World.Height;
        var map = World.MaterialMap;
        for (int i = 0; i < map.Length; i++)
        {
            if (map[i] != (byte)Material.Table) continue;
            int tx = i / h, ty = i % h;
            if (!Visible(tx, ty)) continue;
            for (int x = Math.Max(0, tx - 1); x <= Math.Min(w - 1, tx + 1); x++)
            for (int y = Math.Max(0, ty - 1); y <= Math.Min(h - 1, ty + 1); y++)
            {
                int c = _nav.Distance(x, y);
                if (c == Navigator.Unreachable || (best is { } b && c >= b.Item3)) continue;
                if (furnace && !World.IsNearby(x, y, 1, Material.Furnace)) continue;
                best = (x, y, c);
            }
        }
        return best;
    }

    private CrafterAction Make(CrafterAction make, int depth, bool stone, bool iron)
    {
        var p = Player;
        if (p[Item.Wood] < 1) return Execute(Subgoal.CollectWood, depth + 1);
        if (stone && p[Item.Stone] < 1) return Execute(Subgoal.CollectStone, depth + 1);
        if (iron && p[Item.Coal] < 1) return Execute(Subgoal.CollectCoal, depth + 1);
        if (iron && p[Item.Iron] < 1) return Execute(Subgoal.CollectIron, depth + 1);
        bool nearTable = World.IsNearby(p.X, p.Y, 1, Material.Table);
        if (nearTable && (!iron || World.IsNearby(p.X, p.Y, 1, Material.Furnace))) return make;
        var station = FindStation(iron);
        if (station is { } s && s.Cost <= StationReach) return StepToward(s.X, s.Y);
        if (!iron)
        {
            if (p[Item.Wood] < TableWood + 1) return Execute(Subgoal.CollectWood, depth + 1);
            return Execute(Subgoal.PlaceTable, depth + 1);
        }
        var table = FindStation(furnace: false);
        if (table is null || table.Value.Cost > StationReach)
        {
            if (p[Item.Wood] < TableWood + 1) return Execute(Subgoal.CollectWood, depth + 1);
            return Execute(Subgoal.PlaceTable, depth + 1);
        }
        return Execute(Subgoal.PlaceFurnace, depth + 1);
    }

    private CrafterAction Attack(ObjectKind kind, bool findOnly)
    {
        var a = FindApproach((x, y) => World.GetObject(x, y) is { } o && o.Kind == kind);
        if (a is not { } approach) return Explore();
        return Carry(approach, findOnly ? CrafterAction.Noop : CrafterAction.Do);
    }

    private CrafterAction Flee(ObjectKind kind)
    {
        var threat = NearestObject(kind, 8);
        var p = Player;
        if (threat is null) return CrafterAction.Noop;
        int best = -1, bestDistance = threat.Distance(p);
        for (int d = 0; d < 4; d++)
        {
            int nx = p.X + Navigator.Dx[d], ny = p.Y + Navigator.Dy[d];
            if (!IsFreeWalkable(nx, ny)) continue;
            int dist = Math.Abs(threat.X - nx) + Math.Abs(threat.Y - ny);
            if (dist > bestDistance)
            {
                bestDistance = dist;
                best = d;
            }
        }
        return best >= 0 ? Navigator.MoveAction(best) : CrafterAction.Do;
    }

    private Plant? FindRipePlant()
    {
        Plant? best = null;
        int bestCost = int.MaxValue;
        var p = Player;
        for (int x = Math.Max(0, p.X - 20); x <= Math.Min(World.Width - 1, p.X + 20); x++)
        for (int y = Math.Max(0, p.Y - 20); y <= Math.Min(World.Height - 1, p.Y + 20); y++)
        {
            if (!Visible(x, y) || World.GetObject(x, y) is not Plant { IsRipe: true } plant) continue;
            int c = ApproachCost(x, y);
            if (c < bestCost)
            {
                bestCost = c;
                best = plant;
            }
        }
        return bestCost == Navigator.Unreachable ? null : best;
    }

    /// <summary>Eat a ripe plant; else wall in a young one with stone and wait near it; else plant a sapling.</summary>
    private CrafterAction EatPlant(int depth)
    {
        var p = Player;
        if (FindRipePlant() is not null)
        {
            var a = FindApproach((x, y) => World.GetObject(x, y) is Plant { IsRipe: true });
            if (a is { } approach) return Carry(approach, CrafterAction.Do);
        }
        Plant? young = null;
        int youngDistance = int.MaxValue;
        for (int x = Math.Max(0, p.X - 30); x <= Math.Min(World.Width - 1, p.X + 30); x++)
        for (int y = Math.Max(0, p.Y - 30); y <= Math.Min(World.Height - 1, p.Y + 30); y++)
        {
            if (!Visible(x, y) || World.GetObject(x, y) is not Plant plant) continue;
            int c = ApproachCost(x, y);
            if (c == Navigator.Unreachable) c = 1000 + plant.Distance(p);
            if (c < youngDistance)
            {
                youngDistance = c;
                young = plant;
            }
        }
        if (young is null)
        {
            if (p[Item.Sapling] < 1) return Execute(Subgoal.CollectSapling, depth + 1);
            return Execute(Subgoal.PlacePlant, depth + 1);
        }
        // Wall it in: every free neighbour of the plant gets a stone.
        int px = young.X, py = young.Y;
        bool open = false;
        for (int d = 0; d < 4; d++)
            if (Navigator.IsWalkable(World.GetMaterial(px + Navigator.Dx[d], py + Navigator.Dy[d]))) open = true;
        if (open && p[Item.WoodPickaxe] > 0)
        {
            if (p[Item.Stone] < 1) return Execute(Subgoal.CollectStone, depth + 1);
            var a = FindApproach((x, y) => Math.Abs(x - px) + Math.Abs(y - py) == 1 && CanPlace(Material.Stone, x, y),
                (x, y) => !(x == px && y == py));
            if (a is { } approach && approach.Cost < 40)
            {
                _chain.Add(Subgoal.PlaceStone);
                return Carry(approach, CrafterAction.PlaceStone);
            }
            // The player stands on the last open neighbour: step off it.
            for (int d = 0; d < 4; d++)
            {
                int nx = p.X + Navigator.Dx[d], ny = p.Y + Navigator.Dy[d];
                if (IsFreeWalkable(nx, ny) && Math.Abs(nx - px) + Math.Abs(ny - py) > 1) return Navigator.MoveAction(d);
            }
        }
        // Wait near it (plants only grow while the player is close).
        if (young.Distance(p) > 5) return StepToward(young.X, young.Y) is var s && _nav.Distance(young.X, young.Y) != Navigator.Unreachable
            ? s : StepNear(young.X, young.Y);
        if (p[Item.Energy] < 9 && World.Daylight < 0.4) return SleepSafely(seal: true);
        return CrafterAction.Noop;
    }

    /// <summary>Step toward any reachable cell next to (x, y).</summary>
    private CrafterAction StepNear(int x, int y)
    {
        int best = Navigator.Unreachable, bx = 0, by = 0;
        for (int dx = -3; dx <= 3; dx++)
        for (int dy = -3; dy <= 3; dy++)
        {
            int c = _nav.Distance(x + dx, y + dy);
            if (c < best)
            {
                best = c;
                bx = x + dx;
                by = y + dy;
            }
        }
        return best == Navigator.Unreachable ? Explore() : StepToward(bx, by);
    }

    private CrafterAction Explore()
    {
        _chain.Add(Subgoal.Explore);
        var p = Player;
        if (_nav.LocalVision) return ExploreByHeading();
        if (_exploreTarget is { } t && (t.Steps <= 0 || (t.X == p.X && t.Y == p.Y) || _nav.Distance(t.X, t.Y) == Navigator.Unreachable))
            _exploreTarget = null;
        if (_exploreTarget is null)
        {
            for (int attempt = 0; attempt < 64; attempt++)
            {
                int x = _random.Next(World.Width), y = _random.Next(World.Height);
                int c = _nav.Distance(x, y);
                if (c == Navigator.Unreachable || (c < 8 && attempt < 48)) continue;
                _exploreTarget = (x, y, 80);
                break;
            }
        }
        if (_exploreTarget is not { } target) return Navigator.MoveAction(_random.Next(4));
        _exploreTarget = (target.X, target.Y, target.Steps - 1);
        return StepToward(target.X, target.Y);
    }

    /// <summary>
    /// Exploring without a map: keep walking the way of the last move in the recent actions (which the prompt shows),
    /// turn when the way ahead is blocked (or now and then), never straight back unless it is the only way.
    /// </summary>
    private CrafterAction ExploreByHeading()
    {
        var p = Player;
        bool Free(int d) => IsFreeWalkable(p.X + Navigator.Dx[d], p.Y + Navigator.Dy[d]);
        int heading = _heading;
        for (int i = _context.HistoryCount - 1; i >= 0; i--)
        {
            var a = _context.History(i);
            if (a is < CrafterAction.MoveLeft or > CrafterAction.MoveDown) continue;
            heading = a - CrafterAction.MoveLeft;
            break;
        }
        if (heading >= 0 && Free(heading) && _random.Next(24) != 0) return Navigator.MoveAction(heading);
        // Turn: a free side first, straight back only when nothing else is free.
        Span<int> options = stackalloc int[4];
        int count = 0;
        for (int d = 0; d < 4; d++)
            if (d != heading && (heading < 0 || d != Navigator.Opposite(heading)) && Free(d)) options[count++] = d;
        if (count == 0 && heading >= 0 && Free(Navigator.Opposite(heading))) options[count++] = Navigator.Opposite(heading);
        if (count > 0) _heading = options[_random.Next(count)];
        else _heading = heading >= 0 && Free(heading) ? heading : _random.Next(4);
        return Navigator.MoveAction(_heading);
    }

    // ----- sleeping in a shelter -----

    private static bool IsSolid(Material m) => m is Material.None or Material.Stone or Material.Coal or Material.Iron
        or Material.Diamond or Material.Tree or Material.Water or Material.Table or Material.Furnace;

    /// <summary>Can no zombie reach a cell next to (x, y)? (The walkable region around it has at most 3 cells and no zombie.)</summary>
    private bool IsEnclosed(int x, int y)
    {
        Span<int> queue = stackalloc int[8];
        int head = 0, tail = 0;
        int h = World.Height;
        queue[tail++] = x * h + y;
        while (head < tail)
        {
            int cell = queue[head++];
            int cx = cell / h, cy = cell % h;
            if (World.GetObject(cx, cy) is { Kind: ObjectKind.Zombie or ObjectKind.Skeleton }) return false;
            for (int d = 0; d < 4; d++)
            {
                int nx = cx + Navigator.Dx[d], ny = cy + Navigator.Dy[d];
                if (!World.IsInside(nx, ny)) continue;
                var m = World.GetMaterial(nx, ny);
                if (!Navigator.IsWalkable(m) && m != Material.Lava) continue;
                int next = nx * h + ny;
                bool seen = false;
                for (int i = 0; i < tail; i++) if (queue[i] == next) seen = true;
                if (seen) continue;
                if (tail >= 4) return false;
                queue[tail++] = next;
            }
        }
        return true;
    }

    private CrafterAction SleepSafely(bool seal)
    {
        var p = Player;
        if (IsEnclosed(p.X, p.Y))
        {
            _shelter = null;
            return seal && p[Item.Energy] < 9 ? CrafterAction.Sleep : CrafterAction.Noop;
        }
        if (_shelter is { } s && !ShelterStillValid(s)) _shelter = null;
        _shelter ??= FindShelter();
        if (_shelter is null)
        {
            // No spot to dig in: sleep where we stand only when exhausted.
            if (p[Item.Energy] <= 1 && seal) return CrafterAction.Sleep;
            return Explore();
        }
        return BuildShelter(_shelter);
    }

    private bool ShelterStillValid(Shelter s)
    {
        var p = Player;
        bool inside = (p.X == s.Bx && p.Y == s.By) || (p.X == s.Cx && p.Y == s.Cy);
        if (!inside && _nav.Distance(s.Ax, s.Ay) == Navigator.Unreachable) return false;
        return ShelterWallsOk(s.Ax, s.Ay, s.Dir, requireStone: false);
    }

    private bool SolidAt(int x, int y) => !World.IsInside(x, y) || (Visible(x, y) && IsSolid(World.GetMaterial(x, y)));

    private bool ShelterWallsOk(int ax, int ay, int d, bool requireStone)
    {
        int dx = Navigator.Dx[d], dy = Navigator.Dy[d];
        int bx = ax + dx, by = ay + dy, cx = bx + dx, cy = by + dy;
        if (!World.IsInside(bx, by) || !World.IsInside(cx, cy)) return false;
        // Side walls (perpendicular) of B and C, and the end wall beyond C.
        int px = dy, py = dx; // perpendicular
        if (!SolidAt(bx + px, by + py) || !SolidAt(bx - px, by - py)) return false;
        if (!SolidAt(cx + px, cy + py) || !SolidAt(cx - px, cy - py)) return false;
        if (!SolidAt(cx + dx, cy + dy)) return false;
        for (int i = -1; i <= 1; i++)
        for (int j = -1; j <= 1; j++)
        {
            if (World.GetMaterial(bx + i, by + j) == Material.Lava || World.GetMaterial(cx + i, cy + j) == Material.Lava) return false;
        }
        var mb = World.GetMaterial(bx, by);
        var mc = World.GetMaterial(cx, cy);
        bool okB = mb == Material.Stone || (Navigator.IsWalkable(mb) && World.GetObject(bx, by) is null) || (bx == Player.X && by == Player.Y);
        bool okC = mc == Material.Stone || (Navigator.IsWalkable(mc) && World.GetObject(cx, cy) is null) || (cx == Player.X && cy == Player.Y);
        if (!okB || !okC) return false;
        if (requireStone && Player[Item.Stone] + (mb == Material.Stone ? 1 : 0) + (mc == Material.Stone ? 1 : 0) < 1) return false;
        return true;
    }

    private Shelter? FindShelter()
    {
        var p = Player;
        if (p[Item.WoodPickaxe] == 0 && p[Item.Stone] == 0) return null;
        Shelter? best = null;
        int bestCost = int.MaxValue;
        int w = World.Width, h = World.Height;
        for (int ax = 0; ax < w; ax++)
        for (int ay = 0; ay < h; ay++)
        {
            int c = _nav.Distance(ax, ay);
            if (c == Navigator.Unreachable || c >= bestCost || !Visible(ax, ay)) continue;
            if (!Navigator.IsWalkable(World.GetMaterial(ax, ay))) continue;
            for (int d = 0; d < 4; d++)
            {
                if (!ShelterWallsOk(ax, ay, d, requireStone: true)) continue;
                int bx = ax + Navigator.Dx[d], by = ay + Navigator.Dy[d];
                if (!Visible(bx, by) || !Visible(bx + Navigator.Dx[d], by + Navigator.Dy[d])) continue;
                if (World.GetMaterial(bx, by) == Material.Stone && p[Item.WoodPickaxe] == 0) continue;
                int cost = c + 4;
                if (cost < bestCost)
                {
                    bestCost = cost;
                    best = new Shelter(ax, ay, d);
                }
            }
        }
        return best;
    }

    private CrafterAction BuildShelter(Shelter s)
    {
        var p = Player;
        int f = s.Dir, back = Navigator.Opposite(f);
        if (p.X == s.Cx && p.Y == s.Cy)
        {
            return IsFreeWalkable(s.Bx, s.By) ? Navigator.MoveAction(back) : CrafterAction.Do;
        }
        if (p.X == s.Bx && p.Y == s.By)
        {
            if (Facing(back))
            {
                if (CanPlace(Material.Stone, s.Ax, s.Ay) && p[Item.Stone] > 0) return CrafterAction.PlaceStone;
                if (World.GetObject(s.Ax, s.Ay) is not null) return CrafterAction.Do;
                if (IsSolid(World.GetMaterial(s.Ax, s.Ay))) return CrafterAction.Sleep;
                _shelter = null;
                return CrafterAction.Noop;
            }
            var mc = World.GetMaterial(s.Cx, s.Cy);
            if (mc == Material.Stone) return Facing(f) ? CrafterAction.Do : Navigator.MoveAction(f);
            return Navigator.MoveAction(f);
        }
        if (p.X == s.Ax && p.Y == s.Ay)
        {
            var mb = World.GetMaterial(s.Bx, s.By);
            if (mb == Material.Stone) return Facing(f) ? CrafterAction.Do : Navigator.MoveAction(f);
            return Navigator.MoveAction(f);
        }
        return StepToward(s.Ax, s.Ay);
    }
}
