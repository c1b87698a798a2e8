using Rollouts.Agent;
using Rollouts.Agent.Evaluation;
using Rollouts.Crafter;
using Rollouts.Policy;

namespace Rollouts.Training.Tests;

public class PolicyAgentTests
{
    public PolicyAgentTests() => TestSupport.Init();

    [Fact]
    public void Decisions_follow_the_grammar_and_update_the_context()
    {
        using var dir = new TempDir();
        using var policy = LoadedPolicy.Load(TestSupport.TinyCheckpoint(dir.Path), temperature: 1.0, seed: 5);
        var agent = new PolicyAgent(policy);
        var env = new CrafterEnv(11, new CrafterOptions { Length = 100 });
        env.Reset();
        agent.Reset(env);
        int plans = 0, acts = 0;
        for (int step = 0; step < 40; step++)
        {
            var decision = agent.Decide(env);
            var output = decision.OutputTokens;
            // The whole output is a sentence of the grammar: <plan> ... </plan> <act> A, or <act> A.
            policy.Grammar.StatesFor(output);
            Assert.Equal(Vocabulary.Act, output[^2]);
            Assert.Equal(Vocabulary.ActionToken(decision.Action), output[^1]);
            Assert.Equal(step + 1, agent.Context.Step);
            Assert.Equal(decision.Action, agent.Context.History(agent.Context.HistoryCount - 1));
            if (output[0] == Vocabulary.Plan)
            {
                plans++;
                Assert.NotNull(decision.Plan);
                Assert.Same(decision.Plan, agent.Context.Plan);
                Assert.Equal(step, agent.Context.PlanStep);
                Assert.Equal(output.Length - 2, decision.PlanTokenCount);
                Assert.Equal(decision.PlanTokenCount, agent.LastGeneration!.PlanTokens);
            }
            else
            {
                acts++;
                Assert.Null(decision.Plan);
                Assert.Equal(0, decision.PlanTokenCount);
            }
            if (env.Step(decision.Action).Done) break;
        }
        // An untrained model samples both kinds of output.
        Assert.True(plans > 0 && acts > 0, $"plans {plans}, acts {acts}");
    }

    [Fact]
    public void Greedy_decoding_is_deterministic()
    {
        using var dir = new TempDir();
        string path = TestSupport.TinyCheckpoint(dir.Path);
        int[] Play()
        {
            using var policy = LoadedPolicy.Load(path, temperature: 0);
            var agent = new PolicyAgent(policy);
            var env = new CrafterEnv(3, new CrafterOptions { Length = 30 });
            env.Reset();
            agent.Reset(env);
            var actions = new List<int>();
            for (int i = 0; i < 10; i++)
            {
                var d = agent.Decide(env);
                actions.Add((int)d.Action);
                env.Step(d.Action);
            }
            return actions.ToArray();
        }
        Assert.True(Play().SequenceEqual(Play()));
    }

    [Fact]
    public void Batched_evaluation_plays_every_episode_on_the_eval_seeds()
    {
        using var dir = new TempDir();
        using var policy = LoadedPolicy.Load(TestSupport.TinyCheckpoint(dir.Path), temperature: 1.0);
        var results = BatchedEvaluator.Play(policy, seed: 9, episodes: 5, length: 25, concurrent: 3);
        Assert.Equal(5, results.Length);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(EpisodeRunner.EpisodeSeed(9, i), results[i].Seed);
            Assert.InRange(results[i].Length, 1, 25);
            Assert.True(results[i].PlanSteps <= results[i].Length);
        }
        Assert.True(policy.Decisions >= results.Sum(r => r.Length));
        var summary = EvaluationSummary.FromEpisodes(results);
        Assert.InRange(summary.PlanningRate, 0, 1);
    }

    [Fact]
    public void Sampled_evaluation_gives_the_same_episodes_in_any_batch_and_through_agents()
    {
        // Each decision draws from its own stream (env seed, step): how many episodes share a batch, and whether they
        // are batched at all or played by agents on threads, must not change a single episode.
        using var dir = new TempDir();
        string path = TestSupport.TinyCheckpoint(dir.Path);
        using var policy = LoadedPolicy.Load(path, temperature: 1.0);
        var one = BatchedEvaluator.Play(policy, seed: 12, episodes: 6, length: 40, concurrent: 1);
        var three = BatchedEvaluator.Play(policy, seed: 12, episodes: 6, length: 40, concurrent: 3);
        var all = BatchedEvaluator.Play(policy, seed: 12, episodes: 6, length: 40, concurrent: 6);
        var create = AgentFactory.Resolve("checkpoint:" + path, temperature: 1.0);
        var agents = EpisodeRunner.PlayMany(i => create(EpisodeRunner.EpisodeSeed(12, i)), seed: 12, episodes: 6, length: 40, maxParallelism: 4);
        Assert.Equal(one, three);
        Assert.Equal(one, all);
        Assert.Equal(one, agents);
        // Sampling is still sampling: another evaluation seed plays other episodes.
        Assert.NotEqual(one.Select(r => r.Return), BatchedEvaluator.Play(policy, seed: 13, episodes: 6, length: 40).Select(r => r.Return));
    }

    [Fact]
    public void Rollouts_eval_of_a_checkpoint_writes_the_same_summary_whatever_the_parallelism()
    {
        using var dir = new TempDir();
        string path = TestSupport.TinyCheckpoint(dir.Path);
        string Eval(int parallel)
        {
            string json = System.IO.Path.Combine(dir.Path, $"eval-{parallel}.json");
            var options = new Cli.EvalOptions { Agent = "checkpoint:" + path, Episodes = 5, Seed = 21, Length = 30, Parallelism = parallel, Out = json, Temperature = 1.0 };
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Assert.True(Cli.EvalCommand.Run(options, stdout, stderr) == 0, stderr.ToString());
            Assert.StartsWith("crafter_score=", stdout.ToString().TrimEnd().Split('\n')[^1]);
            return File.ReadAllText(json);
        }
        string batched = Eval(0);
        Assert.Equal(batched, Eval(1));
        Assert.Equal(batched, Eval(3));
        // ... and what rollouts train's evaluation plays on those seeds.
        using var policy = LoadedPolicy.Load(path, temperature: 1.0);
        var summary = EvaluationSummary.FromEpisodes(BatchedEvaluator.Play(policy, seed: 21, episodes: 5, length: 30));
        Assert.Equal(summary.ToJson("checkpoint:" + path, 21), batched);
    }

    [Fact]
    public void Rollouts_eval_planning_never_and_always_force_the_decision_to_plan()
    {
        using var dir = new TempDir();
        string path = TestSupport.TinyCheckpoint(dir.Path);
        System.Text.Json.JsonElement Eval(string? planning)
        {
            string json = System.IO.Path.Combine(dir.Path, $"eval-{planning ?? "default"}.json");
            var options = new Cli.EvalOptions { Agent = "checkpoint:" + path, Episodes = 4, Seed = 3, Length = 20, Out = json, Temperature = 1.0, Planning = planning };
            var stderr = new StringWriter();
            Assert.True(Cli.EvalCommand.Run(options, new StringWriter(), stderr) == 0, stderr.ToString());
            return System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        }
        var own = Eval(null);
        double ownRate = own.GetProperty("planning_rate").GetDouble();
        Assert.InRange(ownRate, 0.01, 0.99); // the untrained model plans on some steps, not all
        Assert.False(own.TryGetProperty("planning", out _));
        Assert.Equal(own.ToString(), Eval("policy").ToString());

        var never = Eval("never");
        Assert.Equal(0.0, never.GetProperty("planning_rate").GetDouble());
        Assert.Equal(0.0, never.GetProperty("plan_tokens_per_step").GetDouble());
        Assert.Equal("never", never.GetProperty("planning").GetString());
        var always = Eval("always");
        Assert.Equal(1.0, always.GetProperty("planning_rate").GetDouble());
        Assert.True(always.GetProperty("plan_tokens_per_step").GetDouble() >= 2); // at least <plan> and </plan>
        Assert.Equal("always", always.GetProperty("planning").GetString());
    }

    [Fact]
    public void Planning_policy_is_the_agents_own_choice_for_any_agent()
    {
        Assert.Null(AgentFactory.ForcedPlanning(null));
        Assert.Null(AgentFactory.ForcedPlanning(" Policy "));
        Assert.Equal("never", AgentFactory.ForcedPlanning("NEVER"));
        Assert.Equal("always", AgentFactory.ForcedPlanning("always"));
        Assert.NotNull(AgentFactory.Resolve("teacher", planning: "policy")); // nothing forced, so the teacher takes it
    }

    [Theory]
    [InlineData("teacher", "never", "only for --agent checkpoint")]
    [InlineData("checkpoint", "sometimes", "not one of: policy, never, always")]
    public void Rollouts_eval_refuses_a_bad_planning_choice(string agent, string planning, string message)
    {
        using var dir = new TempDir();
        string target = agent == "checkpoint" ? "checkpoint:" + TestSupport.TinyCheckpoint(dir.Path) : agent;
        string json = System.IO.Path.Combine(dir.Path, "eval.json");
        var stderr = new StringWriter();
        int code = Cli.EvalCommand.Run(new Cli.EvalOptions { Agent = target, Episodes = 2, Seed = 1, Length = 10, Out = json, Planning = planning },
            new StringWriter(), stderr);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr.ToString());
        Assert.Contains("--planning", stderr.ToString());
        Assert.False(File.Exists(json));
    }

    [Fact]
    public void Long_prompts_keep_bos_and_their_end()
    {
        int[] prompt = Enumerable.Range(1, 20).ToArray();
        Assert.Same(prompt, LoadedPolicy.FitPrompt(prompt, 20));
        Assert.Equal([1, 15, 16, 17, 18, 19, 20], LoadedPolicy.FitPrompt(prompt, 7));
    }

    [Fact]
    public void A_checkpoint_of_another_vocabulary_is_refused_with_one_clear_message()
    {
        using var dir = new TempDir();
        string path = TestSupport.TinyCheckpoint(dir.Path, TestSupport.TinyConfig(vocab: Vocabulary.Size + 7));
        var e = Assert.Throws<CheckpointException>(() => LoadedPolicy.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("vocabulary", e.Message);
        Assert.Contains((Vocabulary.Size + 7).ToString(), e.Message);

        var spec = Assert.Throws<AgentSpecException>(() => AgentFactory.Resolve("checkpoint:" + path));
        Assert.Contains("vocabulary", spec.Message);
    }

    [Fact]
    public void A_checkpoint_whose_context_cannot_hold_a_prompt_is_refused()
    {
        using var dir = new TempDir();
        string path = TestSupport.TinyCheckpoint(dir.Path, TestSupport.TinyConfig(context: 40));
        var e = Assert.Throws<CheckpointException>(() => LoadedPolicy.Load(path));
        Assert.Contains("context of 40 tokens", e.Message);
    }

    [Fact]
    public void Missing_truncated_and_foreign_files_are_clear_errors()
    {
        using var dir = new TempDir();
        string good = TestSupport.TinyCheckpoint(dir.Path);
        string truncated = Path.Combine(dir.Path, "truncated.ckpt");
        var bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        string foreign = Path.Combine(dir.Path, "notes.txt");
        File.WriteAllText(foreign, "not a checkpoint at all, just some text");

        Assert.Contains("does not exist", Assert.Throws<AgentSpecException>(() => AgentFactory.Resolve("checkpoint:" + Path.Combine(dir.Path, "none.ckpt"))).Message);
        Assert.Contains("truncated", Assert.Throws<AgentSpecException>(() => AgentFactory.Resolve("checkpoint:" + truncated)).Message);
        Assert.Contains("not a Rollouts policy checkpoint", Assert.Throws<AgentSpecException>(() => AgentFactory.Resolve("checkpoint:" + foreign)).Message);
        Assert.Contains("needs the path", Assert.Throws<AgentSpecException>(() => AgentFactory.Resolve("checkpoint:")).Message);
    }

    [Fact]
    public void Agents_from_the_factory_share_the_model_and_play_episodes()
    {
        using var dir = new TempDir();
        var create = AgentFactory.Resolve("checkpoint:" + TestSupport.TinyCheckpoint(dir.Path));
        var results = EpisodeRunner.PlayMany(i => create(EpisodeRunner.EpisodeSeed(4, i)), seed: 4, episodes: 3, length: 15, maxParallelism: 3);
        Assert.All(results, r => Assert.InRange(r.Length, 1, 15));
    }

    [Fact]
    public void A_temperature_given_to_the_factory_decides_how_the_checkpoint_decodes()
    {
        using var dir = new TempDir();
        string path = TestSupport.TinyCheckpoint(dir.Path);
        DecodeOptions DecodeOf(double? t) => ((PolicyAgent)AgentFactory.Resolve("checkpoint:" + path, temperature: t)(1)).Batcher.Policy.Decode;

        Assert.True(DecodeOf(0).Greedy);
        var warm = DecodeOf(0.5);
        Assert.False(warm.Greedy);
        Assert.Equal(0.5, warm.Temperature);
        Assert.False(DecodeOf(null).Greedy);
        Assert.Contains("finite number >= 0", Assert.Throws<AgentSpecException>(() => AgentFactory.Resolve("checkpoint:" + path, temperature: -1)).Message);
        Assert.Contains("finite number >= 0", Assert.Throws<AgentSpecException>(() => AgentFactory.Resolve("checkpoint:" + path, temperature: double.NaN)).Message);
    }
}
