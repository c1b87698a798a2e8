namespace Rollouts.Grains;

/// <summary>
/// Fills the per-step arrays of one <see cref="TrajectoryChunk"/> (row <c>t * envs + i</c> for step t of env i) as an
/// actor plays, then builds the chunk; the actor grain and the single-process trainer assemble chunks the same way.
/// </summary>
public sealed class TrajectoryChunkBuilder
{
    private readonly int[][] _prompts;
    private readonly int[][] _outputs;
    private readonly float[] _logProbs;
    private readonly float[] _values;
    private readonly float[] _rewards;
    private readonly bool[] _dones;
    private readonly int[] _planTokens;
    private readonly int[] _actions;
    private readonly int[] _versions;

    public TrajectoryChunkBuilder(int envs, int steps)
    {
        if (envs <= 0 || steps <= 0) throw new ArgumentOutOfRangeException(nameof(envs), "A chunk needs at least one env and one step.");
        Envs = envs;
        Steps = steps;
        int n = envs * steps;
        _prompts = new int[n][];
        _outputs = new int[n][];
        _logProbs = new float[n];
        _values = new float[n];
        _rewards = new float[n];
        _dones = new bool[n];
        _planTokens = new int[n];
        _actions = new int[n];
        _versions = new int[n];
    }

    public int Envs { get; }

    public int Steps { get; }

    /// <summary>What env <paramref name="env"/> was shown at step <paramref name="step"/> and what the policy answered.</summary>
    public void RecordDecision(int step, int env, int[] prompt, PolicyOutput output, int action, int policyVersion)
    {
        int j = step * Envs + env;
        _prompts[j] = prompt;
        _outputs[j] = output.Tokens;
        _logProbs[j] = output.LogProb;
        _values[j] = output.Value;
        _planTokens[j] = output.PlanTokens;
        _actions[j] = action;
        _versions[j] = policyVersion;
    }

    /// <summary>The reward and episode end that followed that decision.</summary>
    public void RecordOutcome(int step, int env, float reward, bool done)
    {
        int j = step * Envs + env;
        _rewards[j] = reward;
        _dones[j] = done;
    }

    /// <param name="bootstrapValues">Per env, the value of the observation after the chunk (GAE's bootstrap).</param>
    public TrajectoryChunk Build(string experimentId, string actorId, long sequence, int policyVersion,
        float[] bootstrapValues, bool fromTeacher = false)
    {
        if (bootstrapValues.Length != Envs) throw new ArgumentException($"Expected {Envs} bootstrap values, got {bootstrapValues.Length}.", nameof(bootstrapValues));
        return new TrajectoryChunk
        {
            ExperimentId = experimentId,
            ActorId = actorId,
            Sequence = sequence,
            PolicyVersion = policyVersion,
            Envs = Envs,
            Steps = Steps,
            PromptTokens = _prompts,
            OutputTokens = _outputs,
            LogProbs = _logProbs,
            Values = _values,
            Rewards = _rewards,
            Dones = _dones,
            PlanTokens = _planTokens,
            Actions = _actions,
            StepVersions = _versions,
            BootstrapValues = bootstrapValues,
            FromTeacher = fromTeacher,
        };
    }
}
