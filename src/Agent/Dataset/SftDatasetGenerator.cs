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
    public static IReadOnlyList<SftRecord> PlayEpisode(long envSeed, int episode, int length, PlanningSchedule schedule)
    {
        var env = new CrafterEnv(envSeed, new CrafterOptions { Length = length });
        env.Reset();
        var teacher = new Teacher(new TeacherOptions { Schedule = schedule });
        teacher.Reset(env);
        var records = new List<SftRecord>(Math.Min(length, 4096));
        Span<int> prompt = stackalloc int[ObservationEncoder.MaxTokens + 1];
        for (int step = 0; ; step++)
        {
            int n = ObservationEncoder.EncodePrompt(env, teacher.Context, prompt);
            var decision = teacher.Decide(env);
            records.Add(new SftRecord { Episode = episode, Step = step, EnvSeed = envSeed, Prompt = prompt[..n].ToArray(), Output = decision.OutputTokens });
            if (env.Step(decision.Action).Done) break;
        }
        return records;
    }

    /// <summary>Writes <paramref name="episodes"/> episodes; <paramref name="onEpisode"/> is called once per finished episode (in order).</summary>
    public static void Write(SftDatasetWriter writer, int episodes, long seed, int length, PlanningSchedule? schedule,
        Action<int, IReadOnlyList<SftRecord>>? onEpisode = null, CancellationToken cancellation = default)
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
                results[i] = PlayEpisode(envSeed, start + i, length, schedule ?? PlanningSchedule.ForEpisode(envSeed));
            });
            for (int i = 0; i < count; i++)
            {
                foreach (var record in results[i]) writer.Write(record);
                onEpisode?.Invoke(start + i, results[i]);
            }
        }
    }
}
