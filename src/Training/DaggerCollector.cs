using Rollouts.Agent;
using Rollouts.Agent.Evaluation;
using Rollouts.Agent.Teaching;
using Rollouts.Config;
using Rollouts.Crafter;
using Rollouts.Grains;

namespace Rollouts.Training;

/// <summary>
/// DAgger data: the student plays (its own sampled outputs run in the env) and the teacher labels every state the
/// student reaches with what it would output there, given the student's plan and recent actions. Plain teacher episodes
/// never show the states a student's slips lead to (facing water with a full drink, pressing <c>do</c> on stone without
/// a pickaxe); these records do. All episodes step together, one batched policy call per step.
/// </summary>
public static class DaggerCollector
{
    /// <summary>Plays <paramref name="episodes"/> episodes (env seeds <see cref="EpisodeRunner.EpisodeSeed"/> of <paramref name="seed"/>) of up
    /// to <c>sft.episode_steps</c> steps; returns one (prompt, teacher output) per student step, in episode order.</summary>
    public static List<(int[] Prompt, int[] Output)> Collect(RolloutsConfig config, IDecisionPolicy student, int episodes, long seed,
        CancellationToken cancellation = default)
    {
        if (episodes <= 0) throw new ArgumentOutOfRangeException(nameof(episodes), episodes, "episodes must be positive.");
        var (vision, schedule) = Grains.Policy.PolicySetup.SftTeacher(config);
        int maxPrompt = config.Model.Context - Grains.Policy.PolicySetup.Grammar(config).MaxOutputTokens;
        var envs = new CrafterEnv[episodes];
        var contexts = new AgentContext[episodes];
        var teachers = new Teacher[episodes];
        var data = new List<(int[], int[])>[episodes];
        for (int i = 0; i < episodes; i++)
        {
            long envSeed = EpisodeRunner.EpisodeSeed(seed, i);
            envs[i] = new CrafterEnv(envSeed, new CrafterOptions { Length = config.Sft.EpisodeSteps });
            envs[i].Reset();
            contexts[i] = new AgentContext();
            teachers[i] = new Teacher(new TeacherOptions { Schedule = schedule ?? PlanningSchedule.ForEpisode(envSeed), Vision = vision });
            teachers[i].Reset(envs[i]);
            data[i] = new List<(int[], int[])>(config.Sft.EpisodeSteps);
        }
        var active = Enumerable.Range(0, episodes).ToList();
        var prompts = new int[episodes][];
        var labels = new int[episodes][];
        while (active.Count > 0)
        {
            cancellation.ThrowIfCancellationRequested();
            var batch = new int[active.Count][];
            // Teachers label in parallel (each owns its env); the student decides for all in one call.
            Parallel.For(0, active.Count, j =>
            {
                int i = active[j];
                prompts[i] = LoadedPolicy.FitPrompt(ObservationEncoder.EncodePrompt(envs[i], contexts[i]), maxPrompt);
                labels[i] = teachers[i].Label(envs[i], contexts[i]).OutputTokens;
                batch[j] = prompts[i];
            });
            var outputs = student.DecideBatch(batch);
            if (outputs.Length != batch.Length)
                throw new InvalidOperationException($"The policy answered {outputs.Length} outputs for {batch.Length} prompts.");
            var still = new List<int>(active.Count);
            for (int j = 0; j < active.Count; j++)
            {
                int i = active[j];
                data[i].Add((prompts[i], labels[i]));
                var decision = LoadedPolicy.ToDecision(outputs[j].Tokens);
                contexts[i].Record(decision);
                if (!envs[i].Step(decision.Action).Done) still.Add(i);
            }
            active = still;
        }
        return data.SelectMany(d => d).ToList();
    }
}
