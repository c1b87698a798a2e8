namespace Rollouts.Crafter.Tests;

public class CrafterEnvTests
{
    [Fact]
    public void Same_seed_and_actions_give_the_same_episode()
    {
        var a = new CrafterEnv(11);
        var b = new CrafterEnv(11);
        a.Reset();
        b.Reset();
        var actions = new Random(3);
        for (int t = 0; t < 500; t++)
        {
            int action = actions.Next(17);
            var ra = a.Step(action);
            var rb = b.Step(action);
            Assert.Equal(ra, rb);
            if (ra.Done) break;
        }
        Assert.True(a.World.MaterialMap.SequenceEqual(b.World.MaterialMap));
        Assert.Equal(a.World.Random.Position, b.World.Random.Position);
    }

    [Fact]
    public void Second_episode_uses_a_new_world()
    {
        var env = new CrafterEnv(5);
        env.Reset();
        byte[] first = env.World.MaterialMap.ToArray();
        env.Reset();
        Assert.Equal(2, env.Episode);
        Assert.False(first.AsSpan().SequenceEqual(env.World.MaterialMap));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(17)]
    [InlineData(1000)]
    public void Unknown_action_is_rejected(int action)
    {
        var env = new CrafterEnv(1);
        env.Reset();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => env.Step(action));
        Assert.Contains("0..16", e.Message);
    }

    [Fact]
    public void Step_before_reset_is_rejected()
    {
        Assert.Throws<InvalidOperationException>(() => new CrafterEnv(1).Step(0));
    }

    [Fact]
    public void Episode_ends_at_its_length_with_discount_one()
    {
        var env = new CrafterEnv(2, new CrafterOptions { Length = 20 });
        env.Reset();
        StepResult last = default;
        for (int t = 0; t < 20; t++) last = env.Step(CrafterAction.Noop);
        Assert.True(last.Done);
        Assert.Equal(1.0, last.Discount);
    }

    [Fact]
    public void Collecting_wood_unlocks_an_achievement_once_with_reward()
    {
        // Walk to the nearest tree by scanning the semantic map, then hit it.
        var env = new CrafterEnv(4);
        env.Reset();
        double total = 0;
        uint unlocked = 0;
        for (int t = 0; t < 400 && env.Player[Item.Wood] == 0; t++)
        {
            var r = env.Step(TowardTree(env));
            total += r.Reward;
            unlocked |= r.Unlocked;
        }
        Assert.True(env.Player[Item.Wood] > 0, "the player should have collected wood");
        Assert.NotEqual(0u, unlocked & (1u << (int)Achievement.CollectWood));
        Assert.Equal(1, env.Player.Achievements[(int)Achievement.CollectWood]);
        Assert.True(total >= 1.0 - 0.9, $"reward {total}");
    }

    [Fact]
    public void Stepping_allocates_nothing_after_warm_up()
    {
        var env = new CrafterEnv(8, new CrafterOptions { Length = 0 });
        env.Reset();
        var rng = new Random(1);
        for (int t = 0; t < 3000; t++)
            if (env.Step(rng.Next(17)).Done) env.Reset();
        long before = GC.GetAllocatedBytesForCurrentThread();
        int steps = 0;
        for (int t = 0; t < 2000; t++, steps++)
            if (env.Step(rng.Next(17)).Done) break;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated / (double)Math.Max(1, steps) < 8, $"{allocated} bytes over {steps} steps");
    }

    [Fact]
    public void Semantic_view_puts_the_player_on_top()
    {
        var env = new CrafterEnv(3);
        env.Reset();
        var view = new byte[64 * 64];
        env.WriteSemanticView(view);
        Assert.Equal(CrafterEnv.SemanticId(ObjectKind.Player), view[env.Player.X * 64 + env.Player.Y]);
        Assert.Equal(13, CrafterEnv.SemanticId(ObjectKind.Player));
    }

    private static CrafterAction TowardTree(CrafterEnv env)
    {
        var p = env.Player;
        if (env.World.GetMaterial(p.X + p.FacingX, p.Y + p.FacingY) == Material.Tree) return CrafterAction.Do;
        int best = int.MaxValue, tx = 0, ty = 0;
        for (int x = 0; x < 64; x++)
        for (int y = 0; y < 64; y++)
            if (env.World.GetMaterial(x, y) == Material.Tree && p.Distance(x, y) < best)
            {
                best = p.Distance(x, y);
                tx = x;
                ty = y;
            }
        if (Math.Abs(tx - p.X) + Math.Abs(ty - p.Y) == 1)
        {
            // Adjacent: turn toward it (moving into a tree only turns).
            return tx < p.X ? CrafterAction.MoveLeft : tx > p.X ? CrafterAction.MoveRight : ty < p.Y ? CrafterAction.MoveUp : CrafterAction.MoveDown;
        }
        if (tx != p.X && env.World.GetObject(p.X + Math.Sign(tx - p.X), p.Y) is null)
            return tx < p.X ? CrafterAction.MoveLeft : CrafterAction.MoveRight;
        return ty < p.Y ? CrafterAction.MoveUp : CrafterAction.MoveDown;
    }
}

public class CrafterVectorEnvTests
{
    [Fact]
    public void Vector_step_equals_stepping_each_env_alone()
    {
        var vector = CrafterVectorEnv.WithConsecutiveSeeds(100, 6, new CrafterOptions { Length = 50 }, maxDegreeOfParallelism: 3);
        var singles = Enumerable.Range(0, 6).Select(i => new CrafterEnv(100 + i, new CrafterOptions { Length = 50 })).ToArray();
        vector.Reset();
        foreach (var s in singles) s.Reset();
        var rng = new Random(9);
        var actions = new int[6];
        var results = new StepResult[6];
        int resets = 0;
        for (int t = 0; t < 120; t++)
        {
            for (int i = 0; i < 6; i++) actions[i] = rng.Next(17);
            vector.Step(actions, results);
            for (int i = 0; i < 6; i++)
            {
                var expected = singles[i].Step(actions[i]);
                Assert.Equal(expected, results[i]);
                if (expected.Done)
                {
                    singles[i].Reset();
                    resets++;
                }
                Assert.True(singles[i].World.MaterialMap.SequenceEqual(vector[i].World.MaterialMap));
            }
        }
        Assert.True(resets >= 6, "every env should have finished at least one 50-step episode");
        Assert.Equal(singles[0].Episode, vector[0].Episode);
    }

    [Fact]
    public void Vector_rejects_wrong_action_count_and_bad_actions()
    {
        var vector = CrafterVectorEnv.WithConsecutiveSeeds(1, 2);
        vector.Reset();
        Assert.Throws<ArgumentException>(() => vector.Step(new int[3], new StepResult[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => vector.Step(new[] { 0, 17 }, new StepResult[2]));
    }
}

public class CrafterOptionsTests
{
    [Theory]
    [InlineData(0, 64, 9, 9, 64, 64, 100, "area")]
    [InlineData(64, 64, 4, 4, 64, 64, 100, "inventory rows")]
    [InlineData(64, 64, 9, 9, 8, 8, 100, "smaller than the view")]
    [InlineData(64, 64, 9, 9, 64, 64, -1, "length")]
    public void Invalid_options_name_the_problem(int aw, int ah, int vw, int vh, int iw, int ih, int length, string expected)
    {
        var options = new CrafterOptions { AreaWidth = aw, AreaHeight = ah, ViewWidth = vw, ViewHeight = vh, ImageWidth = iw, ImageHeight = ih, Length = length };
        var e = Assert.ThrowsAny<ArgumentException>(() => new CrafterEnv(1, options));
        Assert.Contains(expected, e.Message);
    }
}
