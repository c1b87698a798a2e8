using Rollouts.Crafter;

namespace Rollouts.Agent.Tests;

/// <summary>The prompt's <c>see</c> section gives each kind's nearest cell by the walk to it: the walk's first move and its length.</summary>
public class WindowPathsTests
{
    [Fact]
    public void In_the_open_a_thing_is_seen_in_its_own_direction_at_its_distance()
    {
        var env = OpenField();
        Put(env, 3, 0, Material.Tree);
        Assert.Equal("see grass@west 1 tree@east 3", SeeLine(env));
    }

    [Fact]
    public void Water_in_the_way_turns_the_direction_to_the_first_step_around_it()
    {
        var env = OpenField();
        // A column of water east of the player, open only beyond the window's southern edge (the teacher's long way)
        // and one row north of it: the walk goes north first, around the column's end, then down to face the tree.
        for (int dy = -1; dy <= 3; dy++) Put(env, 1, dy, Material.Water);
        Put(env, 2, 0, Material.Tree);
        // north to (0,-2), east to (2,-2), south to (2,-1), then face the tree: 5 moves and the turn.
        Assert.Equal("see grass@west 1 water@east 1 tree@north 6", SeeLine(env));
    }

    [Fact]
    public void A_walk_may_leave_the_window_through_the_unknown_cells_around_it()
    {
        var env = OpenField();
        for (int dy = -3; dy <= 3; dy++) Put(env, 1, dy, Material.Water); // the whole window's height
        Put(env, 0, 3, Material.Water); // the way round the southern end is two moves longer
        Put(env, 2, 0, Material.Tree);
        // Round the wall's northern end, one row beyond the window (assumed free): 9 moves and the turn, capped at 9.
        Assert.Equal("see grass@west 1 water@east 1 tree@north 9", SeeLine(env));
    }

    [Fact]
    public void A_thing_no_walk_reaches_is_given_by_its_compass_direction_and_manhattan_distance()
    {
        var env = OpenField();
        Put(env, 3, -2, Material.Tree);
        foreach (var (dx, dy) in new[] { (2, -2), (4, -2), (3, -3), (3, -1) }) Put(env, dx, dy, Material.Lava);
        string see = SeeLine(env);
        Assert.Contains("tree@north-east 5", see);
        Assert.Contains("lava@", see);
    }

    [Fact]
    public void The_four_cells_next_to_the_player_are_one_move_away_in_their_own_direction()
    {
        var env = OpenField();
        Span<int> reach = stackalloc int[WindowPaths.Cells];
        Span<byte> first = stackalloc byte[WindowPaths.Cells];
        WindowPaths.Compute(env.World, env.Player, reach, first);
        Assert.Equal(0, reach[WindowPaths.Index(0, 0)]);
        var neighbours = new[] { (-1, 0, 0), (1, 0, 1), (0, -1, 2), (0, 1, 3) };
        foreach (var (dx, dy, direction) in neighbours)
        {
            Assert.Equal(1, reach[WindowPaths.Index(dx, dy)]);
            Assert.Equal(direction, first[WindowPaths.Index(dx, dy)]);
        }
        Assert.Equal(7, reach[WindowPaths.Index(4, 3)]);
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

    private static string SeeLine(CrafterEnv env) =>
        ObservationEncoder.Render(env, new AgentContext()).Split('\n').Single(line => line.StartsWith("see ", StringComparison.Ordinal));
}
