using System.Text;
using Rollouts.Crafter;
using Rollouts.Crafter.Objects;

namespace Rollouts.Agent;

/// <summary>
/// The agent's prompt: a compact, readable token sequence in the style of BALROG's Crafter text
/// (<c>shared/crafter/TEXT_OBS.md</c>), plus the agent's context:
/// <code>
/// &lt;obs&gt; health 9 food 9 drink 9 energy 9 day awake see grass@south 1 tree@north-west 2 … face grass
///   inventory wood 2 plan &lt;plan&gt; collect_wood place_table &lt;/plan&gt; age 4-7 last move_left do do noop &lt;/obs&gt;
/// </code>
/// Each section starts with its own keyword (<c>see</c>, <c>face</c>, <c>inventory</c>, <c>plan</c>, <c>last</c>), so no
/// separator token is spent between them; a plan is one token per subgoal (<see cref="Subgoals.Token"/>).
/// <list type="bullet">
/// <item><c>see</c>: for each kind in the 9×7 window (x from px−4 to px+4, y from py−3 to py+3, clipped to the map), the
/// way the local-vision teacher would go to act on it, as <c>KIND@DIRECTION DISTANCE</c>: the first move it would make
/// and the cost of the approach (moves, plus what clearing or turning takes; 1 for a thing next to the player), found
/// with the teacher's own navigator and choice of where to stand (<see cref="SeenTargets"/>: around water and lava,
/// through trees and minable stone at a higher cost, unknown cells beyond the window assumed free). So
/// <c>tree@north 6</c> can be a tree to the east behind water, and when the teacher goes for a kind, its move is that
/// entry's direction (in every step of 128 teacher episodes). Until 2026-12-03 the direction was the compass bearing and
/// the distance Manhattan's, from which a small model cannot work out a way round an obstacle or which of two equally
/// near things the teacher takes (docs/experiments.md). A kind no walk reaches (walled in by water or lava) keeps its
/// nearest cell's compass bearing (possibly diagonal, e.g. <c>tree@north-west</c>) and Manhattan distance. Kinds are
/// listed in the order first met scanning x-major then y; distances are capped at 9. Kind and direction are one token so
/// that "which way is the tree" is a single lookup for the policy (as three tokens a small model learned far more
/// slowly; docs/experiments.md). Objects hide the material under them; a ripe plant is <c>ripe_plant</c>. <c>see
/// nothing</c> when empty.</item>
/// <item><c>face</c>: what is in the facing cell (<c>nothing</c> outside the map).</item>
/// <item><c>day</c>/<c>night</c>: daylight at least / below 0.5. <c>awake</c>/<c>sleeping</c>.</item>
/// <item><c>inventory</c>: non-zero non-vital items in Crafter's order with their count, or <c>nothing</c>.</item>
/// <item><c>plan</c>: the current plan (capped at <see cref="MaxPlanSubgoals"/> subgoals) and its age in steps,
/// bucketed (0, 1, 2, 3, 4-7, 8-15, 16-31, 32-63, 64+); or <c>plan none</c>.</item>
/// <item><c>last</c>: the last <see cref="AgentContext.HistoryLength"/> actions, oldest first, or <c>none</c>.</item>
/// </list>
/// </summary>
public static class ObservationEncoder
{
    public const int WindowHalfWidth = 4, WindowHalfHeight = 3;
    public const int MaxPlanSubgoals = 8;

    /// <summary>Upper bound of <see cref="Encode"/>'s length: size buffers with it.</summary>
    public const int MaxTokens = 256;

    private const int KindCount = Vocabulary.SeenKindCount; // 12 materials + cow, zombie, skeleton, arrow, plant, ripe_plant
    private static readonly int[] MoveDx = [-1, 1, 0, 0]; // arrays, not span properties: those allocate in Debug builds
    private static readonly int[] MoveDy = [0, 0, -1, 1];
    private const int KindCow = 12, KindZombie = 13, KindSkeleton = 14, KindArrow = 15, KindPlant = 16, KindRipePlant = 17;

    private static readonly int WaterId = Vocabulary.Id("water");
    private static readonly int NorthId = Vocabulary.Id("north");
    private static readonly int HealthId = Vocabulary.Id("health"), FoodId = Vocabulary.Id("food"),
        DrinkId = Vocabulary.Id("drink"), EnergyId = Vocabulary.Id("energy"), DayId = Vocabulary.Id("day"),
        NightId = Vocabulary.Id("night"), AwakeId = Vocabulary.Id("awake"), SleepingId = Vocabulary.Id("sleeping"),
        SeeId = Vocabulary.Id("see"), NothingId = Vocabulary.Id("nothing"), FaceId = Vocabulary.Id("face"),
        InventoryId = Vocabulary.Id("inventory"), PlanId = Vocabulary.Id("plan"), NoneId = Vocabulary.Id("none"),
        AgeId = Vocabulary.Id("age"), LastId = Vocabulary.Id("last");

    private static readonly int[] ItemIds = CrafterNames.Items.Select(n => Vocabulary.TryGetId(n, out int id) ? id : -1).ToArray();

    /// <summary>The prompt with a leading <c>&lt;bos&gt;</c>: what a policy reads before its output.</summary>
    public static int EncodePrompt(CrafterEnv env, AgentContext context, Span<int> destination)
    {
        destination[0] = Vocabulary.Bos;
        return 1 + Encode(env, context, destination[1..]);
    }

    public static int[] EncodePrompt(CrafterEnv env, AgentContext context)
    {
        Span<int> buffer = stackalloc int[MaxTokens + 1];
        int n = EncodePrompt(env, context, buffer);
        return buffer[..n].ToArray();
    }

    /// <summary>Writes <c>&lt;obs&gt; … &lt;/obs&gt;</c> into <paramref name="destination"/> (allocation-free); returns the count.</summary>
    public static int Encode(CrafterEnv env, AgentContext context, Span<int> destination)
    {
        var player = env.Player;
        var world = env.World;
        int n = 0;
        destination[n++] = Vocabulary.Obs;

        destination[n++] = HealthId;
        destination[n++] = Vocabulary.NumberToken(Math.Clamp(player[Item.Health], 0, 9));
        destination[n++] = FoodId;
        destination[n++] = Vocabulary.NumberToken(Math.Clamp(player[Item.Food], 0, 9));
        destination[n++] = DrinkId;
        destination[n++] = Vocabulary.NumberToken(Math.Clamp(player[Item.Drink], 0, 9));
        destination[n++] = EnergyId;
        destination[n++] = Vocabulary.NumberToken(Math.Clamp(player[Item.Energy], 0, 9));
        destination[n++] = world.Daylight >= 0.5 ? DayId : NightId;
        destination[n++] = player.Sleeping ? SleepingId : AwakeId;

        // Each kind by the teacher's way to it (SeenTargets); kinds it cannot reach keep their nearest cell's compass
        // bearing and Manhattan distance.
        Span<int> approachCost = stackalloc int[KindCount];
        Span<byte> firstMove = stackalloc byte[KindCount];
        SeenTargets.Compute(env, approachCost, firstMove);
        Span<int> bestDistance = stackalloc int[KindCount];
        Span<int> bestDx = stackalloc int[KindCount];
        Span<int> bestDy = stackalloc int[KindCount];
        Span<int> order = stackalloc int[KindCount];
        bestDistance.Fill(int.MaxValue);
        int kinds = 0;
        int px = player.X, py = player.Y;
        for (int x = px - WindowHalfWidth; x <= px + WindowHalfWidth; x++)
        for (int y = py - WindowHalfHeight; y <= py + WindowHalfHeight; y++)
        {
            if (x == px && y == py) continue;
            if (!world.IsInside(x, y)) continue;
            int kind = KindAt(world, x, y);
            if (kind < 0) continue;
            int distance = Math.Abs(x - px) + Math.Abs(y - py);
            if (bestDistance[kind] == int.MaxValue) order[kinds++] = kind;
            if (distance < bestDistance[kind])
            {
                bestDistance[kind] = distance;
                bestDx[kind] = x - px;
                bestDy[kind] = y - py;
            }
        }
        destination[n++] = SeeId;
        if (kinds == 0) destination[n++] = NothingId;
        for (int i = 0; i < kinds; i++)
        {
            int kind = order[i];
            int direction, distance;
            if (approachCost[kind] != SeenTargets.None)
            {
                int move = firstMove[kind];
                direction = DirectionToken(MoveDx[move], MoveDy[move]);
                distance = Math.Max(1, approachCost[kind]); // 1 when it is faced already
            }
            else
            {
                direction = DirectionToken(bestDx[kind], bestDy[kind]);
                distance = bestDistance[kind];
            }
            destination[n++] = Vocabulary.SeenToken(kind, direction - NorthId);
            destination[n++] = Vocabulary.NumberToken(Math.Min(distance, 9));
        }

        destination[n++] = FaceId;
        int fx = px + player.FacingX, fy = py + player.FacingY;
        int faced = world.IsInside(fx, fy) ? KindAt(world, fx, fy) : -1;
        destination[n++] = faced < 0 ? NothingId : WaterId + faced;

        destination[n++] = InventoryId;
        int before = n;
        var inventory = player.Inventory;
        for (int i = (int)Item.Sapling; i < inventory.Length; i++)
        {
            if (inventory[i] <= 0) continue;
            destination[n++] = ItemIds[i];
            destination[n++] = Vocabulary.NumberToken(Math.Min(inventory[i], 9));
        }
        if (n == before) destination[n++] = NothingId;

        destination[n++] = PlanId;
        var plan = context.Plan;
        if (plan is null || plan.Count == 0)
        {
            destination[n++] = NoneId;
        }
        else
        {
            n += Subgoals.WritePlanTokens(plan, destination[n..], MaxPlanSubgoals);
            destination[n++] = AgeId;
            destination[n++] = Vocabulary.AgeToken(context.PlanAge);
        }

        destination[n++] = LastId;
        if (context.HistoryCount == 0) destination[n++] = NoneId;
        for (int i = 0; i < context.HistoryCount; i++) destination[n++] = Vocabulary.ActionToken(context.History(i));
        destination[n++] = Vocabulary.ObsEnd;
        return n;
    }

    public static int[] Encode(CrafterEnv env, AgentContext context)
    {
        Span<int> buffer = stackalloc int[MaxTokens];
        int n = Encode(env, context, buffer);
        return buffer[..n].ToArray();
    }

    /// <summary>The observation as readable text: the tokens, one section per line.</summary>
    public static string Render(CrafterEnv env, AgentContext context) => Render(Encode(env, context));

    /// <summary>Token ids as text, one section per line (a line starts at each section's keyword).</summary>
    public static string Render(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder();
        bool lineStart = true;
        foreach (int id in ids)
        {
            if (!lineStart && (id == SeeId || id == FaceId || id == InventoryId || id == PlanId || id == LastId))
            {
                sb.Append('\n');
                lineStart = true;
            }
            if (!lineStart) sb.Append(' ');
            sb.Append(Vocabulary.Word(id));
            lineStart = false;
        }
        return sb.ToString();
    }

    /// <summary>The kind index of a cell (0..11 materials water..furnace, then creatures; an object hides the material
    /// under it), or -1 for none/the player.</summary>
    internal static int KindAt(Rollouts.Crafter.Engine.World world, int x, int y)
    {
        var obj = world.GetObject(x, y);
        if (obj is not null)
        {
            return obj.Kind switch
            {
                ObjectKind.Cow => KindCow,
                ObjectKind.Zombie => KindZombie,
                ObjectKind.Skeleton => KindSkeleton,
                ObjectKind.Arrow => KindArrow,
                ObjectKind.Plant => obj is Plant { IsRipe: true } ? KindRipePlant : KindPlant,
                _ => -1,
            };
        }
        var material = world.GetMaterial(x, y);
        return material == Material.None ? -1 : (int)material - 1;
    }

    private static int DirectionToken(int dx, int dy)
    {
        // north, south, west, east, north-west, north-east, south-west, south-east
        if (dy == 0) return NorthId + (dx < 0 ? 2 : 3);
        int vertical = dy < 0 ? 0 : 1;
        if (dx == 0) return NorthId + vertical;
        return NorthId + 4 + vertical * 2 + (dx < 0 ? 0 : 1);
    }
}
