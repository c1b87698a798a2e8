using System.CommandLine;
using Rollouts.Agent;
using Rollouts.Agent.Dataset;
using Rollouts.Agent.Evaluation;
using Rollouts.Agent.Teaching;
using Rollouts.Crafter;
using Spectre.Console;

namespace Rollouts.Cli;

/// <summary><c>rollouts teacher ...</c>: the scripted teacher's SFT data set, and a look at what the agent reads.</summary>
public static class TeacherCommands
{
    public static Command Create()
    {
        var teacher = new Command("teacher", "The scripted teacher: SFT data sets and sample prompts.");
        teacher.Subcommands.Add(Dataset());
        teacher.Subcommands.Add(Show());
        return teacher;
    }

    private static Command Dataset()
    {
        var episodes = new Option<int>("--episodes") { Description = "Teacher episodes to record.", DefaultValueFactory = _ => 100 };
        var seed = new Option<long>("--seed") { Description = "Run seed; episode i uses env seed seed*1000+i.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "The data set file (.msgpack).", Required = true };
        var length = new Option<int>("--length") { Description = "Episode length limit in steps.", DefaultValueFactory = _ => 10000 };
        var schedule = new Option<string>("--schedule") { Description = "Planning schedule: mixed (one per episode), every, every-K, event, never.", DefaultValueFactory = _ => "mixed" };
        var noCompress = new Option<bool>("--no-compress") { Description = "Write records without LZ4 compression." };
        var command = new Command("dataset", "Record teacher episodes as SFT data (prompt and output token ids per step, MessagePack).");
        foreach (var o in new Option[] { episodes, seed, output, length, schedule, noCompress }) command.Options.Add(o);
        command.SetAction(parse => WriteDataset(parse.GetValue(episodes), parse.GetValue(seed), parse.GetValue(output)!,
            parse.GetValue(length), parse.GetValue(schedule) ?? "mixed", !parse.GetValue(noCompress), Console.Out, Console.Error,
            !Console.IsOutputRedirected));
        return command;
    }

    public static int WriteDataset(int episodes, long seed, string path, int length, string scheduleName, bool compress,
        TextWriter stdout, TextWriter stderr, bool interactive)
    {
        PlanningSchedule? schedule;
        try
        {
            if (episodes <= 0) throw new AgentSpecException($"--episodes must be positive, got {episodes}.");
            if (length <= 0) throw new AgentSpecException($"--length must be positive, got {length}.");
            if (seed < 0) throw new AgentSpecException($"--seed must be non-negative, got {seed}.");
            schedule = AgentFactory.ParseSchedule(scheduleName);
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is null || !Directory.Exists(dir)) throw new AgentSpecException($"--out '{path}': the directory '{dir}' does not exist.");
        }
        catch (AgentSpecException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
        var console = CliConsole.Create(stdout, interactive);
        try
        {
            using var writer = new SftDatasetWriter(path, compress, seed, $"rollouts teacher dataset --episodes {episodes} --seed {seed} --length {length} --schedule {scheduleName}");
            long steps = 0, planSteps = 0, outputTokens = 0;
            var unlocked = new List<int>();
            void OnEpisode(int index, IReadOnlyList<SftRecord> records)
            {
                steps += records.Count;
                foreach (var r in records)
                {
                    outputTokens += r.Output.Length;
                    if (r.Output.Length > 2) planSteps++;
                }
            }
            if (interactive)
            {
                console.Progress().Start(ctx =>
                {
                    var task = ctx.AddTask("teacher episodes", maxValue: episodes);
                    SftDatasetGenerator.Write(writer, episodes, seed, length, schedule, (i, r) => { OnEpisode(i, r); task.Increment(1); });
                });
            }
            else
            {
                SftDatasetGenerator.Write(writer, episodes, seed, length, schedule, OnEpisode);
            }
            writer.Complete();
            console.WriteLine($"wrote {path}: {episodes} episodes, {steps} steps, planning rate {planSteps / (double)Math.Max(1, steps):F3}, {outputTokens / (double)Math.Max(1, steps):F2} output tokens per step");
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: cannot write '{path}': {e.Message}");
            return 1;
        }
    }

    private static Command Show()
    {
        var seed = new Option<long>("--seed") { Description = "Env seed.", DefaultValueFactory = _ => 0 };
        var steps = new Option<int>("--steps") { Description = "Steps to play and print.", DefaultValueFactory = _ => 20 };
        var schedule = new Option<string>("--schedule") { Description = "Planning schedule.", DefaultValueFactory = _ => "event" };
        var command = new Command("show", "Play the teacher and print each step's prompt and output as text.");
        foreach (var o in new Option[] { seed, steps, schedule }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            PlanningSchedule plan;
            try { plan = AgentFactory.ParseSchedule(parse.GetValue(schedule) ?? "event") ?? PlanningSchedule.OnEvent; }
            catch (AgentSpecException e) { Console.Error.WriteLine($"error: {e.Message}"); return 2; }
            var env = new CrafterEnv(parse.GetValue(seed));
            env.Reset();
            var t = new Teacher(new TeacherOptions { Schedule = plan });
            t.Reset(env);
            for (int i = 0; i < parse.GetValue(steps); i++)
            {
                string prompt = ObservationEncoder.Render(env, t.Context);
                var d = t.Decide(env);
                Console.WriteLine($"--- step {i}\n{prompt}\n=> {Vocabulary.Decode(d.OutputTokens)}");
                if (env.Step(d.Action).Done) break;
            }
            return 0;
        });
        return command;
    }
}
