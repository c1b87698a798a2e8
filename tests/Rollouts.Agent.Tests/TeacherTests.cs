using System.Reflection;
using Rollouts.Agent;
using Rollouts.Agent.Evaluation;
using Rollouts.Agent.Teaching;
using Rollouts.Crafter;

namespace Rollouts.Agent.Tests;

public class TeacherTests
{
    [Fact]
    public void Collects_wood_and_places_a_table_early()
    {
        var env = new CrafterEnv(11, new CrafterOptions { Length = 10000 });
        env.Reset();
        var teacher = new Teacher();
        teacher.Reset(env);
        int? wood = null, table = null, pickaxe = null;
        for (int step = 1; step <= 150 && pickaxe is null; step++)
        {
            var r = env.Step(teacher.Decide(env).Action);
            if (r.HasUnlocked(Achievement.CollectWood)) wood = step;
            if (r.HasUnlocked(Achievement.PlaceTable)) table = step;
            if (r.HasUnlocked(Achievement.MakeWoodPickaxe)) pickaxe = step;
        }
        Assert.NotNull(wood);
        Assert.NotNull(table);
        Assert.NotNull(pickaxe);
        Assert.True(wood < table && table < pickaxe, $"wood {wood}, table {table}, pickaxe {pickaxe}");
    }

    [Fact]
    public void Gets_through_the_tech_tree_on_fixed_seeds()
    {
        var results = EpisodeRunner.PlayMany(_ => new Teacher(), 5, episodes: 2, length: 600);
        foreach (var r in results)
        {
            Assert.True(r.Has(Achievement.MakeStonePickaxe), $"seed {r.Seed}: no stone pickaxe");
            Assert.True(r.UnlockedCount >= 12, $"seed {r.Seed}: only {r.UnlockedCount} achievements");
        }
    }

    [Fact]
    public void Recipe_costs_match_the_port()
    {
        // The teacher's prerequisites use these costs; check them against the env itself.
        Assert.False(CanPlace(CrafterAction.PlaceTable, Item.Wood, Teacher.TableWood - 1));
        Assert.True(CanPlace(CrafterAction.PlaceTable, Item.Wood, Teacher.TableWood));
        Assert.False(CanPlace(CrafterAction.PlaceFurnace, Item.Stone, Teacher.FurnaceStone - 1));
        Assert.True(CanPlace(CrafterAction.PlaceFurnace, Item.Stone, Teacher.FurnaceStone));
    }

    private static bool CanPlace(CrafterAction place, Item item, int amount)
    {
        var env = new CrafterEnv(1);
        env.Reset();
        var inventory = (int[])typeof(Rollouts.Crafter.Objects.Player)
            .GetField("_inventory", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(env.Player)!;
        inventory[(int)item] = amount;
        for (int d = 0; d < 4; d++)
        {
            env.Step((CrafterAction)((int)CrafterAction.MoveLeft + d));
            env.Step(place);
            if (env.Player[item] < amount) return true;
        }
        return false;
    }

    [Fact]
    public void Same_seed_gives_the_same_episode()
    {
        var a = EpisodeRunner.Play(new Teacher(), 42, 300);
        var b = EpisodeRunner.Play(new Teacher(), 42, 300);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Fixed_plan_agent_follows_the_plan_in_order()
    {
        var agent = new FixedPlanAgent("place table, make wood sword, make wood pickaxe");
        var env = new CrafterEnv(11, new CrafterOptions { Length = 10000 });
        env.Reset();
        agent.Reset(env);
        Assert.Equal(agent.Plan, agent.Context.Plan);
        int sword = 0, pickaxe = 0;
        for (int step = 1; step <= 200 && pickaxe == 0; step++)
        {
            var d = agent.Decide(env);
            Assert.Null(d.Plan);
            var r = env.Step(d.Action);
            if (r.HasUnlocked(Achievement.MakeWoodSword)) sword = step;
            if (r.HasUnlocked(Achievement.MakeWoodPickaxe)) pickaxe = step;
        }
        Assert.True(sword > 0 && pickaxe > sword, $"sword at {sword}, pickaxe at {pickaxe}");
        agent.Decide(env);
        Assert.Equal(3, agent.CompletedSubgoals);
    }

    [Theory]
    [InlineData(TeacherVision.Local, true)]
    [InlineData(TeacherVision.Full, false)]
    public void Local_vision_teacher_decides_from_the_view_window_alone(TeacherVision vision, bool expectSame)
    {
        // Two teachers decide on the same env each step; the second sees every cell outside the prompt's 9x7 window
        // replaced by tempting materials. A local teacher must not notice; a full one must.
        var env = new CrafterEnv(7, new CrafterOptions { Length = 10000 });
        env.Reset();
        var honest = new Teacher(new TeacherOptions { Vision = vision });
        var tempted = new Teacher(new TeacherOptions { Vision = vision });
        honest.Reset(env);
        tempted.Reset(env);
        var world = env.World;
        var saved = new Material[world.Width * world.Height];
        Material[] lures = [Material.Tree, Material.Water, Material.Stone, Material.Coal, Material.Iron, Material.Diamond];
        int differences = 0;
        for (int step = 0; step < 300; step++)
        {
            var a = honest.Decide(env);
            int px = env.Player.X, py = env.Player.Y;
            for (int x = 0; x < world.Width; x++)
            for (int y = 0; y < world.Height; y++)
            {
                saved[x * world.Height + y] = world.GetMaterial(x, y);
                bool inWindow = Math.Abs(x - px) <= ObservationEncoder.WindowHalfWidth && Math.Abs(y - py) <= ObservationEncoder.WindowHalfHeight;
                if (!inWindow && world.GetObject(x, y) is null) world.SetMaterial(x, y, lures[(x + y) % lures.Length]);
            }
            var b = tempted.Decide(env);
            for (int x = 0; x < world.Width; x++)
            for (int y = 0; y < world.Height; y++)
                world.SetMaterial(x, y, saved[x * world.Height + y]);
            if (a.Action != b.Action || !a.OutputTokens.SequenceEqual(b.OutputTokens))
            {
                differences++;
                if (expectSame) Assert.Fail($"step {step}: {a.Action} vs {b.Action} with the outside of the window changed");
                break;
            }
            if (env.Step(a.Action).Done) break;
        }
        if (!expectSame) Assert.True(differences > 0, "the full-vision teacher never reacted to the changed map");
    }

    [Fact]
    public void Local_vision_teacher_still_plays_the_tech_tree()
    {
        var results = EpisodeRunner.PlayMany(_ => new Teacher(new TeacherOptions { Vision = TeacherVision.Local }), 5, episodes: 4, length: 600);
        Assert.True(results.Count(r => r.Has(Achievement.MakeWoodPickaxe)) >= 3, "the local teacher rarely makes a wood pickaxe");
        Assert.True(results.Max(r => r.UnlockedCount) >= 10, $"at most {results.Max(r => r.UnlockedCount)} achievements");
    }
}
