using Rollouts.Agent.Evaluation;
using Rollouts.Agent.Teaching;
using Rollouts.Crafter;

namespace Rollouts.Agent.Tests;

/// <summary>The prompt's <c>see</c> section gives, per kind, the local teacher's way to it: its first move and the cost.</summary>
public class SeenTargetsTests
{
    [Fact]
    public void In_the_open_a_thing_is_seen_in_its_own_direction_at_its_distance()
    {
        var env = OpenField();
        Put(env, 3, 0, Material.Tree);
        // The player faces south at reset: the grass it faces is the nearest grass.
        Assert.Equal("see grass@south 1 tree@east 3", SeeLine(env));
    }

    [Fact]
    public void A_blocked_thing_next_to_the_player_is_one_turn_away_in_its_own_direction()
    {
        var env = OpenField();
        Put(env, -1, 0, Material.Stone);
        Assert.Equal("see grass@south 1 stone@west 1", SeeLine(env));
    }

    [Fact]
    public void Water_in_the_way_turns_the_direction_to_the_first_step_around_it()
    {
        var env = OpenField();
        // A column of water east of the player, open one row north of it: the way goes north first, round the column's
        // end, then down to face the tree (5 moves and the turn).
        for (int dy = -1; dy <= 3; dy++) Put(env, 1, dy, Material.Water);
        Put(env, 2, 0, Material.Tree);
        Assert.Equal("see grass@south 1 water@east 1 tree@north 6", SeeLine(env));
    }

    [Fact]
    public void A_way_may_leave_the_window_through_the_unknown_cells_around_it()
    {
        var env = OpenField();
        for (int dy = -3; dy <= 3; dy++) Put(env, 1, dy, Material.Water); // the whole window's height
        Put(env, 0, 3, Material.Water); // the way round the southern end is two moves longer
        Put(env, 2, 0, Material.Tree);
        // Round the wall's northern end, one row beyond the window (assumed free): 9 moves and the turn, capped at 9.
        Assert.Equal("see grass@south 1 water@east 1 tree@north 9", SeeLine(env));
    }

    [Fact]
    public void A_thing_no_way_reaches_is_given_by_its_compass_direction_and_manhattan_distance()
    {
        var env = OpenField();
        Put(env, 3, -2, Material.Tree);
        foreach (var (dx, dy) in new[] { (2, -2), (4, -2), (3, -3), (3, -1) }) Put(env, dx, dy, Material.Lava);
        string see = SeeLine(env);
        Assert.Contains("tree@north-east 5", see);
        Assert.Contains("lava@", see);
    }

    [Fact]
    public void When_the_teacher_goes_for_a_kind_its_move_is_that_kinds_direction_in_the_prompt()
    {
        // The point of the encoding: the local teacher's moves toward its target can be read off the prompt, ties
        // included (equally short ways, equally near targets), so its labels are consistent with what the student sees.
        var kindOf = new Dictionary<Subgoal, string>
        {
            [Subgoal.CollectWood] = "tree", [Subgoal.CollectStone] = "stone", [Subgoal.DrinkWater] = "water",
            [Subgoal.EatCow] = "cow", [Subgoal.DefeatZombie] = "zombie", [Subgoal.CollectCoal] = "coal",
        };
        string[] moveWords = ["west", "east", "north", "south"];
        int checkedMoves = 0;
        for (int episode = 0; episode < 6; episode++)
        {
            long seed = EpisodeRunner.EpisodeSeed(4242, episode);
            var env = new CrafterEnv(seed, new CrafterOptions { Length = 400 });
            env.Reset();
            var teacher = new Teacher(new TeacherOptions { Schedule = PlanningSchedule.Never, Vision = TeacherVision.Local });
            teacher.Reset(env);
            while (true)
            {
                string see = SeeLine(env, teacher.Context);
                var action = teacher.Decide(env).Action;
                int move = action - CrafterAction.MoveLeft;
                if (teacher.CurrentSubgoal is { } goal && kindOf.TryGetValue(goal, out var kind) && move is >= 0 and < 4)
                {
                    string? entry = see.Split(' ').FirstOrDefault(w => w.StartsWith(kind + "@", StringComparison.Ordinal));
                    if (entry is not null)
                    {
                        Assert.True(entry == $"{kind}@{moveWords[move]}", $"episode {episode}, step {env.StepCount}: the teacher ({goal}) moved {moveWords[move]}, the prompt says {entry}\n{see}");
                        checkedMoves++;
                    }
                }
                if (env.Step(action).Done) break;
            }
        }
        Assert.True(checkedMoves > 300, $"only {checkedMoves} moves checked");
    }

    [Fact]
    public void The_approach_rule_shared_with_the_teacher_walks_behind_a_free_target_and_up_to_a_blocked_one()
    {
        var env = OpenField();
        var nav = new Navigator(env.World.Width, env.World.Height) { LocalVision = true };
        Put(env, 3, 0, Material.Stone);
        nav.Compute(env);
        int px = env.Player.X, py = env.Player.Y;
        const int east = 1, south = 3;
        // Free grass two cells east: stand one east, arriving there with an east move from the player's own cell.
        Assert.Equal(1, nav.ApproachCost(px + 1, py, east, targetFree: true, facingD: false));
        Assert.False(nav.ApproachWaypoint(px + 1, py, east, targetFree: true, out _, out _));
        // The stone three cells east: walk two cells to stand next to it, then turn toward it.
        Assert.Equal(3, nav.ApproachCost(px + 2, py, east, targetFree: false, facingD: false));
        Assert.True(nav.ApproachWaypoint(px + 2, py, east, targetFree: false, out int wx, out int wy));
        Assert.Equal((px + 2, py), (wx, wy));
        // Already facing the target (the player faces south at reset): nothing to walk.
        Assert.Equal(0, nav.ApproachCost(px, py, south, targetFree: true, facingD: true));
        // A free target whose cell behind the stand cell is water cannot be approached that way.
        Put(env, -1, 0, Material.Water);
        nav.Compute(env);
        Assert.Equal(Navigator.Unreachable, nav.ApproachCost(px, py, east, targetFree: true, facingD: false));
    }

    /// <summary>An env whose player stands in open grass: every cell within 6 columns and 5 rows is grass, without creatures.</summary>
    private static CrafterEnv OpenField()
    {
        var env = new CrafterEnv(7, new CrafterOptions { Length = 100 });
        env.Reset();
        var world = env.World;
        var player = env.Player;
        for (int dx = -6; dx <= 6; dx++)
        for (int dy = -5; dy <= 5; dy++)
        {
            int x = player.X + dx, y = player.Y + dy;
            if (!world.IsInside(x, y)) continue;
            if (world.GetObject(x, y) is { } obj && !ReferenceEquals(obj, player)) world.Remove(obj);
            world.SetMaterial(x, y, Material.Grass);
        }
        return env;
    }

    private static void Put(CrafterEnv env, int dx, int dy, Material material) =>
        env.World.SetMaterial(env.Player.X + dx, env.Player.Y + dy, material);

    private static string SeeLine(CrafterEnv env, AgentContext? context = null) =>
        ObservationEncoder.Render(env, context ?? new AgentContext()).Split('\n').Single(line => line.StartsWith("see ", StringComparison.Ordinal));
}
