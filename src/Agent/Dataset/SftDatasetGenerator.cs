using Rollouts.Agent.Evaluation;
using Rollouts.Agent.Teaching;
using Rollouts.Crafter;

namespace Rollouts.Agent.Dataset;

/// <summary>
/// Plays teacher episodes and writes one record per step. Episode i uses env seed <c>seed * 1000 + i</c> and, with
/// <c>schedule = null</c>, the planning schedule <see cref="PlanningSchedule.ForEpisode"/> of that seed, so a data set
/// mixes every-step, every-k, on-event and never-planning episodes. Episodes run in parallel; the file is in episode
/// order and identical for the same arguments.
/// </summary>
public static class SftDatasetGenerator
{
    private static readonly CrafterAction[] NoiseActions =
    [
        CrafterAction.MoveLeft, CrafterAction.MoveRight, CrafterAction.MoveUp, CrafterAction.MoveDown, CrafterAction.Do, CrafterAction.Noop,
    ];

    /// <summary>
    /// One teacher episode. With <paramref name="actionNoise"/> &gt; 0 the env runs, with that probability per step, a random
    /// move, <c>do</c> or <c>noop</c> instead of the teacher's action while the record keeps the teacher's output as the
    /// label (DART-style noise injection): the data then shows how the teacher recovers from the slips a student makes,
    /// which plain teacher episodes never visit (a student that faces water with a full drink otherwise presses
    /// <c>do</c> forever).
    /// </summary>
    public static IReadOnlyList<SftRecord> PlayEpisode(long envSeed, int episode, int length, PlanningSchedule schedule,
        TeacherVision vision = TeacherVision.Full, double actionNoise = 0)
    {
        if (actionNoise is < 0 or > 1 || double.IsNaN(actionNoise))
            throw new ArgumentOutOfRangeException(nameof(actionNoise), actionNoise, "actionNoise must be in [0, 1].");
        var env = new CrafterEnv(envSeed, new CrafterOptions { Length = length });
        env.Reset();
        var teacher = new Teacher(new TeacherOptions { Schedule = schedule, Vision = vision });
        teacher.Reset(env);
        var noise = new Random(unchecked((int)(envSeed * 2654435761L + episode)));
        var records = new List<SftRecord>(Math.Min(length, 4096));
        Span<int> prompt = stackalloc int[ObservationEncoder.MaxTokens + 1];
        for (int step = 0; ; step++)
        {
            int n = ObservationEncoder.EncodePrompt(env, teacher.Context, prompt);
            var decision = teacher.Decide(env);
            records.Add(new SftRecord { Episode = episode, Step = step, EnvSeed = envSeed, Prompt = prompt[..n].ToArray(), Output = decision.OutputTokens });
            var action = decision.Action;
            if (actionNoise > 0 && noise.NextDouble() < actionNoise)
            {
                action = NoiseActions[noise.Next(NoiseActions.Length)];
                teacher.Context.ReplaceLastAction(action);
            }
            if (env.Step(action).Done) break;
        }
        return records;
    }

    /// <summary>Writes <paramref name="episodes"/> episodes; <paramref name="onEpisode"/> is called once per finished episode (in order).</summary>
    public static void Write(SftDatasetWriter writer, int episodes, long seed, int length, PlanningSchedule? schedule,
        Action<int, IReadOnlyList<SftRecord>>? onEpisode = null, CancellationToken cancellation = default,
        TeacherVision vision = TeacherVision.Full, double actionNoise = 0)
    {
        if (episodes <= 0) throw new ArgumentOutOfRangeException(nameof(episodes), episodes, "episodes must be positive.");
        int batch = Math.Max(1, Environment.ProcessorCount);
        for (int start = 0; start < episodes; start += batch)
        {
            int count = Math.Min(batch, episodes - start);
            var results = new IReadOnlyList<SftRecord>[count];
            Parallel.For(0, count, new ParallelOptions { CancellationToken = cancellation }, i =>
            {
                long envSeed = EpisodeRunner.EpisodeSeed(seed, start + i);
                results[i] = PlayEpisode(envSeed, start + i, length, schedule ?? PlanningSchedule.ForEpisode(envSeed), vision, actionNoise);
            });
            for (int i = 0; i < count; i++)
            {
                foreach (var record in results[i]) writer.Write(record);
                onEpisode?.Invoke(start + i, results[i]);
            }
        }
    }
}
