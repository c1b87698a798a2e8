using Rollouts.Crafter.Text;

namespace Rollouts.Crafter.Tests;

public class TextObservationTests
{
    private const string Golden = """
        You see:
        - grass 1 step to your west
        - cow 3 steps to your north-west
        - tree 3 steps to your north-east

        You face grass at your front.

        Your status:
        - health: 9/9
        - food: 9/9
        - drink: 9/9
        - energy: 9/9

        Your inventory:
        - sapling: 1
        """;

    [Fact]
    public void Golden_text_for_a_fixed_episode()
    {
        // Seed 1, actions up, up, do (a sapling from grass), right x3, do, left: checked by hand against the 9x7 window.
        var env = new CrafterEnv(1);
        env.Reset();
        foreach (int a in new[] { 3, 3, 5, 2, 2, 2, 5, 1 }) env.Step(a);
        Assert.Equal(Golden.ReplaceLineEndings("\n"), TextObservation.Describe(env));
    }

    [Fact]
    public void Matches_a_direct_transcription_of_balrog_over_many_steps()
    {
        var text = new TextObservation();
        var rng = new Random(5);
        for (int seed = 0; seed < 4; seed++)
        {
            var env = new CrafterEnv(seed);
            env.Reset();
            for (int t = 0; t < 400; t++)
            {
                Assert.Equal(Reference(env), new string(text.Write(env)));
                if (env.Step(rng.Next(17)).Done) break;
            }
        }
    }

    [Fact]
    public void Window_is_clipped_at_the_map_edge()
    {
        var env = new CrafterEnv(3);
        env.Reset();
        // Walk west until the edge (moves may be blocked; the test only needs a player near x = 0 or a stop).
        for (int t = 0; t < 300 && env.Player.X > 1; t++)
        {
            var r = env.Step(CrafterAction.MoveLeft);
            if (env.World.GetMaterial(env.Player.X - 1, env.Player.Y) is not (Material.Grass or Material.Sand or Material.Path))
                env.Step(env.Player.Y > 5 ? CrafterAction.MoveUp : CrafterAction.MoveDown);
            if (r.Done) break;
        }
        string described = TextObservation.Describe(env);
        Assert.DoesNotContain("Error", described);
        Assert.Equal(Reference(env), described);
    }

    [Fact]
    public void Sleeping_player_text_starts_with_the_sleep_line()
    {
        var env = new CrafterEnv(2);
        env.Reset();
        for (int t = 0; t < 200 && !env.Player.Sleeping; t++) env.Step(t < 150 ? CrafterAction.Noop : CrafterAction.Sleep);
        Assert.True(env.Player.Sleeping);
        Assert.StartsWith("You are sleeping, and will not be able take actions until energy is full.\n\n\n\nYou see", TextObservation.Describe(env));
    }

    // BALROG's describe_frame as plainly as possible: a list of (name, location), closest per kind.
    private static string Reference(CrafterEnv env)
    {
        var p = env.Player;
        var seen = new List<(string Name, int Dist, string Dir)>();
        for (int dx = -4; dx <= 4; dx++)
        for (int dy = -3; dy <= 3; dy++)
        {
            int x = p.X + dx, y = p.Y + dy;
            if (!env.World.IsInside(x, y)) continue;
            var obj = env.World.GetObject(x, y);
            if (obj is Objects.Player) continue;
            string name = obj is not null ? obj.Kind.ToString().ToLowerInvariant() : env.World.GetMaterial(x, y).Name();
            var parts = new List<string>();
            if (dy < 0) parts.Add("north");
            else if (dy > 0) parts.Add("south");
            if (dx < 0) parts.Add("west");
            else if (dx > 0) parts.Add("east");
            seen.Add((name, Math.Abs(dx) + Math.Abs(dy), string.Join("-", parts)));
        }
        var closest = new List<(string Name, int Dist, string Dir)>();
        foreach (var s in seen)
        {
            int i = closest.FindIndex(c => c.Name == s.Name);
            if (i < 0) closest.Add(s);
            else if (s.Dist < closest[i].Dist) closest[i] = s;
        }
        string status = p.Sleeping ? "You are sleeping, and will not be able take actions until energy is full.\n\n"
            : p.Health <= 0 ? "You died.\n\n" : "";
        string see = closest.Count == 0 ? "You see nothing away from you."
            : "You see:\n" + string.Join("\n", closest.Select(c => $"- {c.Name} {c.Dist} step{(c.Dist > 1 ? "s" : "")} to your {c.Dir}"));
        int fx = p.X + p.FacingX, fy = p.Y + p.FacingY;
        var fo = env.World.GetObject(fx, fy);
        string face = !env.World.IsInside(fx, fy) ? "nothing" : fo is not null ? fo.Kind.ToString().ToLowerInvariant() : env.World.GetMaterial(fx, fy).Name();
        string longTerm = (status + "\n\n" + see + "\n\n" + $"You face {face} at your front." + "\n\n").Trim();
        string vitals = "Your status:\n" + string.Join("\n", Enumerable.Range(0, 4).Select(i => $"- {CrafterNames.Items[i]}: {p.Inventory[i]}/9"));
        var items = Enumerable.Range(4, 12).Where(i => p.Inventory[i] != 0).Select(i => $"- {CrafterNames.Items[i]}: {p.Inventory[i]}").ToList();
        string inventory = items.Count > 0 ? "Your inventory:\n" + string.Join("\n", items) : "You have nothing in your inventory.";
        return longTerm + "\n\n" + (vitals + "\n\n" + inventory).Trim();
    }
}
