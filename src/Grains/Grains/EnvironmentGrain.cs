using Rollouts.Agent;
using Rollouts.Agent.Teaching;
using Rollouts.Crafter;

namespace Rollouts.Grains;

/// <summary>
/// K Crafter envs stepped together. Each env keeps its agent context (current plan, its age, the last actions), so
/// the observation it returns is the policy's whole prompt (<see cref="ObservationEncoder.EncodePrompt"/>). Finished
/// episodes restart at once (auto-reset); env i of actor a has Crafter seed <see cref="EnvSpec.EnvSeed"/>, so any
/// episode (seed, episode number) can be replayed. With a teacher attached, the scripted teacher decides each step's
/// output here, where the full state is.
/// </summary>
[RolloutLocalPlacement]
public sealed class EnvironmentGrain : Grain, IEnvironmentGrain
{
    private EnvSpec? _spec;
    private CrafterEnv[] _envs = [];
    private AgentContext[] _contexts = [];
    private Teacher?[] _teachers = [];
    private AgentDecision?[] _teacherDecisions = [];
    private IReadOnlyList<Subgoal>? _steeringPlan;
    private int[][] _prompts = [];
    private double[] _returns = [];
    private int[] _lengths = [];
    private uint[] _achievements = [];
    private int[] _planSteps = [];
    private long[] _outputTokens = [];

    public Task<EnvObservations> Init(EnvSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Count <= 0) throw new ArgumentOutOfRangeException(nameof(spec), spec.Count, "An environment grain needs at least one env.");
        _spec = spec;
        var options = new CrafterOptions { AreaWidth = spec.Area, AreaHeight = spec.Area, Length = spec.Length };
        int k = spec.Count;
        _envs = new CrafterEnv[k];
        _contexts = new AgentContext[k];
        _teachers = new Teacher?[k];
        _teacherDecisions = new AgentDecision?[k];
        _prompts = new int[k][];
        _returns = new double[k];
        _lengths = new int[k];
        _achievements = new uint[k];
        _planSteps = new int[k];
        _outputTokens = new long[k];
        for (int i = 0; i < k; i++)
        {
            _envs[i] = new CrafterEnv(spec.SeedOf(i), options);
            _contexts[i] = new AgentContext();
            StartEpisode(i);
        }
        return Task.FromResult(Observations());
    }

    public Task<EnvObservations> Observe()
    {
        if (_spec is null) throw new InvalidOperationException($"Environment {this.GetPrimaryKeyString()} is not initialised: call Init first.");
        return Task.FromResult(Observations());
    }

    public Task<EnvObservations> SetPlan(string? planText)
    {
        if (_spec is null) throw new InvalidOperationException($"Environment {this.GetPrimaryKeyString()} is not initialised: call Init first.");
        _steeringPlan = planText is null ? null : PlanParser.Parse(planText);
        for (int i = 0; i < _envs.Length; i++)
        {
            if (_spec.WithTeacher)
            {
                // The teacher follows a person's plan first (its fixed plan), then goes on with its own judgement.
                _teachers[i] = NewTeacher(i);
                _teachers[i]!.Reset(_envs[i]);
                _teacherDecisions[i] = null;
            }
            else
            {
                _contexts[i].SetPlan(_steeringPlan);
            }
            Encode(i);
        }
        return Task.FromResult(Observations());
    }

    public Task<EnvStepResults> Step(int[][] outputs)
    {
        var spec = _spec ?? throw new InvalidOperationException($"Environment {this.GetPrimaryKeyString()} is not initialised: call Init first.");
        if (outputs.Length != _envs.Length) throw new ArgumentException($"Expected {_envs.Length} outputs, got {outputs.Length}.", nameof(outputs));
        int k = _envs.Length;
        var rewards = new float[k];
        var dones = new bool[k];
        var unlocked = new uint[k];
        List<EpisodeSummary>? finished = null;
        for (int i = 0; i < k; i++)
        {
            AgentDecision decision;
            if (spec.WithTeacher)
            {
                decision = _teacherDecisions[i] ?? throw new InvalidOperationException("No pending teacher decision.");
                _teacherDecisions[i] = null;
            }
            else
            {
                decision = ParseOrNoop(outputs[i]);
                _contexts[i].Record(decision);
            }
            var env = _envs[i];
            var result = env.Step(decision.Action);
            rewards[i] = (float)result.Reward;
            dones[i] = result.Done;
            unlocked[i] = result.Unlocked;
            _returns[i] += result.Reward;
            _lengths[i]++;
            _achievements[i] |= env.UnlockedAchievements;
            if (decision.Plan is not null) _planSteps[i]++;
            _outputTokens[i] += decision.OutputTokens.Length;
            if (result.Done)
            {
                (finished ??= []).Add(new EpisodeSummary(i, env.Seed, env.Episode, _returns[i], _lengths[i], _achievements[i], _planSteps[i], _outputTokens[i]));
                StartEpisode(i);
            }
            else
            {
                Encode(i);
            }
        }
        return Task.FromResult(new EnvStepResults(rewards, dones, unlocked, Observations(), finished?.ToArray() ?? []));
    }

    /// <summary>A malformed output (a model may emit one before it has learned the grammar) acts as noop without a plan.</summary>
    private static AgentDecision ParseOrNoop(int[] output)
    {
        try { return AgentDecision.FromOutputTokens(output); }
        catch (Exception e) when (e is UnknownTokenException or PlanParseException or ArgumentException) { return AgentDecision.ActOnlyDecision(CrafterAction.Noop); }
    }

    private void StartEpisode(int i)
    {
        var env = _envs[i];
        env.Reset();
        _returns[i] = 0;
        _lengths[i] = 0;
        _achievements[i] = 0;
        _planSteps[i] = 0;
        _outputTokens[i] = 0;
        if (_spec!.WithTeacher)
        {
            _teachers[i] = NewTeacher(i);
            _teachers[i]!.Reset(env);
        }
        else
        {
            _contexts[i].Reset();
            if (_steeringPlan is not null) _contexts[i].SetPlan(_steeringPlan);
        }
        Encode(i);
    }

    private Teacher NewTeacher(int i)
    {
        var env = _envs[i];
        return new Teacher(new TeacherOptions
        {
            Schedule = PlanningSchedule.ForEpisode(env.Seed * 7919 + env.Episode),
            FixedPlan = _steeringPlan,
        });
    }

    /// <summary>The prompt of env i given its context; with a teacher, the teacher's decision for it too.</summary>
    private void Encode(int i)
    {
        var teacher = _teachers[i];
        var context = teacher?.Context ?? _contexts[i];
        _prompts[i] = ObservationEncoder.EncodePrompt(_envs[i], context);
        if (teacher is not null && _teacherDecisions[i] is null) _teacherDecisions[i] = teacher.Decide(_envs[i]);
    }

    private EnvObservations Observations()
    {
        int[][]? teacher = null;
        if (_spec!.WithTeacher)
        {
            teacher = new int[_envs.Length][];
            for (int i = 0; i < teacher.Length; i++) teacher[i] = _teacherDecisions[i]!.OutputTokens;
        }
        var episodes = new int[_envs.Length];
        for (int i = 0; i < episodes.Length; i++) episodes[i] = _envs[i].Episode;
        return new EnvObservations((int[][])_prompts.Clone(), teacher, episodes);
    }
}
