using Rollouts.Crafter.Objects;

namespace Rollouts.Crafter.Text;

/// <summary>
/// Crafter as text, following BALROG's Crafter wrapper (see <c>shared/crafter/TEXT_OBS.md</c>): what the player
/// sees (the closest cell of each kind in the 9x7 window, with direction and Manhattan distance), what it faces,
/// then its status and inventory. Writes into a reusable buffer so that a step's text costs no allocation.
/// </summary>
/// <remarks>
/// Near the world's edge BALROG's numpy slice goes wrong (it may even report "Error, you are out of the map.");
/// here the window is clipped to the map: cells outside the map are simply not seen, and distances stay relative
/// to the player's true position.
/// </remarks>
public sealed class TextObservation
{
    private const string SleepingLine = "You are sleeping, and will not be able take actions until energy is full.";
    private static readonly string[] KindNames = ["player", "cow", "zombie", "skeleton", "arrow", "plant", "fence"];

    private static readonly string[] Directions =
        // index = (sign(dy) + 1) * 3 + (sign(dx) + 1)
        ["north-west", "north", "north-east", "west", "", "east", "south-west", "south", "south-east"];

    private readonly char[] _buffer = new char[4096];
    private readonly int[] _bestDistance = new int[32];
    private readonly int[] _bestDx = new int[32];
    private readonly int[] _bestDy = new int[32];
    private readonly int[] _order = new int[32];
    private int _length;

    /// <summary>Half the window's width (4 for Crafter's 9-wide view) and the rows above/below the player (3).</summary>
    public int HalfWidth { get; init; } = 4;
    public int HalfHeight { get; init; } = 3;

    /// <summary>BALROG's long-term context: status line (sleeping/dead), what is seen, what is faced.</summary>
    public ReadOnlySpan<char> WriteLongTerm(CrafterEnv env)
    {
        _length = 0;
        AppendSurroundings(env);
        return _buffer.AsSpan(0, _length);
    }

    /// <summary>BALROG's short-term context: the four vitals and the non-zero inventory.</summary>
    public ReadOnlySpan<char> WriteShortTerm(CrafterEnv env)
    {
        _length = 0;
        AppendInventory(env.Player);
        return _buffer.AsSpan(0, _length);
    }

    /// <summary>Both contexts, long-term first, separated by a blank line.</summary>
    public ReadOnlySpan<char> Write(CrafterEnv env)
    {
        _length = 0;
        AppendSurroundings(env);
        Append("\n\n");
        AppendInventory(env.Player);
        return _buffer.AsSpan(0, _length);
    }

    public static string Describe(CrafterEnv env, bool longTermOnly = false)
    {
        var text = new TextObservation();
        return new string(longTermOnly ? text.WriteLongTerm(env) : text.Write(env));
    }

    private void AppendSurroundings(CrafterEnv env)
    {
        var player = env.Player;
        var world = env.World;
        // BALROG: describe_status(...) + "\n\n" + describe_env(...), then strip().
        if (player.Sleeping) Append(SleepingLine).Append("\n\n\n\n");
        else if (player.Health <= 0) Append("You died.").Append("\n\n\n\n");

        // Scan x-major then y; keep the first-met closest cell of each kind, in first-met order.
        int kinds = 0;
        Array.Fill(_bestDistance, int.MaxValue);
        for (int dx = -HalfWidth; dx <= HalfWidth; dx++)
        for (int dy = -HalfHeight; dy <= HalfHeight; dy++)
        {
            int x = player.X + dx, y = player.Y + dy;
            if (!world.IsInside(x, y)) continue;
            int id = SemanticId(world, x, y);
            if (id == CrafterEnv.SemanticId(ObjectKind.Player)) continue;
            int distance = Math.Abs(dx) + Math.Abs(dy);
            if (_bestDistance[id] == int.MaxValue) _order[kinds++] = id;
            if (distance < _bestDistance[id])
            {
                _bestDistance[id] = distance;
                _bestDx[id] = dx;
                _bestDy[id] = dy;
            }
        }

        if (kinds == 0)
        {
            Append("You see nothing away from you.");
        }
        else
        {
            Append("You see:");
            for (int i = 0; i < kinds; i++)
            {
                int id = _order[i];
                int d = _bestDistance[id];
                Append("\n- ").Append(Name(id)).Append(' ').AppendInt(d).Append(d > 1 ? " steps to your " : " step to your ")
                    .Append(Directions[(Math.Sign(_bestDy[id]) + 1) * 3 + Math.Sign(_bestDx[id]) + 1]);
            }
        }

        Append("\n\n");
        int fx = player.X + player.FacingX, fy = player.Y + player.FacingY;
        Append("You face ").Append(world.IsInside(fx, fy) ? Name(SemanticId(world, fx, fy)) : "nothing").Append(" at your front.");
    }

    private void AppendInventory(Player player)
    {
        Append("Your status:");
        for (int i = 0; i < 4; i++)
            Append("\n- ").Append(CrafterNames.Items[i]).Append(": ").AppendInt(player.Inventory[i]).Append("/9");
        Append("\n\n");
        bool any = false;
        for (int i = 4; i < CrafterNames.ItemCount; i++)
        {
            int amount = player.Inventory[i];
            if (amount == 0) continue;
            if (!any) Append("Your inventory:");
            any = true;
            Append("\n- ").Append(CrafterNames.Items[i]).Append(": ").AppendInt(amount);
        }
        if (!any) Append("You have nothing in your inventory.");
    }

    private static int SemanticId(Engine.World world, int x, int y)
    {
        var obj = world.GetObject(x, y);
        return obj is not null ? CrafterEnv.SemanticId(obj.Kind) : (int)world.GetMaterial(x, y);
    }

    private static string Name(int semanticId) => semanticId < CrafterNames.Materials.Length
        ? CrafterNames.Materials[semanticId]
        : KindNames[semanticId - CrafterNames.Materials.Length];

    private TextObservation Append(string text)
    {
        text.AsSpan().CopyTo(_buffer.AsSpan(_length));
        _length += text.Length;
        return this;
    }

    private TextObservation Append(char c)
    {
        _buffer[_length++] = c;
        return this;
    }

    private TextObservation AppendInt(int value)
    {
        value.TryFormat(_buffer.AsSpan(_length), out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        _length += written;
        return this;
    }
}
