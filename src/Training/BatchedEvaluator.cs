using Rollouts.Agent;
using Rollouts.Agent.Evaluation;
using Rollouts.Crafter;

namespace Rollouts.Training;

/// <summary>
/// Plays many evaluation episodes of a policy at once: every step, the prompts of all running episodes go to the model
/// in one batch. Episode i uses env seed <see cref="EpisodeRunner.EpisodeSeed"/>(seed, i) (as <c>rollouts eval</c>
/// does, so the teacher and the policies meet the same worlds) and is capped at <c>length</c> steps. When an episode
/// ends, the next one starts in its slot. Results are in episode order. Each decision is sampled from its own stream
/// (<see cref="LoadedPolicy.DecisionKey"/>: its env seed and step), so the results do not depend on
/// <c>concurrent</c> and equal <c>rollouts eval --agent checkpoint:PATH</c> on the same seed.
/// </summary>
public static class BatchedEvaluator
{
    private sealed class Slot
    {
        public required CrafterEnv Env;
        public required AgentContext Context;
        public int Episode;
        public double Return;
        public int PlanSteps;
        public long PlanTokens;
        public int Steps;
        public int[] Prompt = [];
    }

    public static EpisodeResult[] Play(LoadedPolicy policy, long seed, int episodes, int length, int concurrent = 32,
        Action<EpisodeResult>? onEpisodeDone = null, CancellationToken cancellation = default)
    {
        if (episodes <= 0) throw new ArgumentOutOfRangeException(nameof(episodes), episodes, "episodes must be positive.");
        if (length <= 0) throw new ArgumentOutOfRangeException(nameof(length), length, "length must be positive.");
        var results = new EpisodeResult[episodes];
        var active = new List<Slot>();
        int next = 0;

        Slot? Start()
        {
            if (next >= episodes) return null;
            var env = new CrafterEnv(EpisodeRunner.EpisodeSeed(seed, next), new CrafterOptions { Length = length });
            env.Reset();
            var slot = new Slot { Env = env, Context = new AgentContext(), Episode = next++ };
            slot.Prompt = ObservationEncoder.EncodePrompt(env, slot.Context);
            return slot;
        }

        for (int i = 0; i < Math.Max(1, concurrent) && Start() is { } s; i++) active.Add(s);
        var parallel = new ParallelOptions { CancellationToken = cancellation };
        while (active.Count > 0)
        {
            cancellation.ThrowIfCancellationRequested();
            var outputs = policy.Generate(active.Select(s => s.Prompt).ToArray(),
                active.Select(s => LoadedPolicy.DecisionKey(s.Env)).ToArray());
            var finished = new bool[active.Count];
            Parallel.For(0, active.Count, parallel, i =>
            {
                var slot = active[i];
                var decision = LoadedPolicy.ToDecision(outputs[i].Output);
                slot.Context.Record(decision);
                if (decision.Plan is not null)
                {
                    slot.PlanSteps++;
                    slot.PlanTokens += decision.PlanTokenCount;
                }
                var step = slot.Env.Step(decision.Action);
                slot.Steps++;
                slot.Return += step.Reward;
                if (step.Done) finished[i] = true;
                else slot.Prompt = ObservationEncoder.EncodePrompt(slot.Env, slot.Context);
            });
            for (int i = active.Count - 1; i >= 0; i--)
            {
                if (!finished[i]) continue;
                var slot = active[i];
                var result = new EpisodeResult(slot.Env.Seed, slot.Steps, slot.Return, slot.Env.UnlockedAchievements, slot.PlanSteps, slot.PlanTokens);
                results[slot.Episode] = result;
                onEpisodeDone?.Invoke(result);
                if (Start() is { } replacement) active[i] = replacement;
                else active.RemoveAt(i);
            }
        }
        return results;
    }
}
