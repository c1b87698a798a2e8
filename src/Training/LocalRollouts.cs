using Rollouts.Agent;
using Rollouts.Agent.Evaluation;
using Rollouts.Config;
using Rollouts.Crafter;
using Rollouts.Grains;

namespace Rollouts.Training;

/// <summary>
/// The single-process counterpart of the actor/environment/inference grains: a <see cref="CrafterVectorEnv"/> of
/// <c>rollout.actors × env.envs_per_actor</c> envs (env k of actor a has seed <see cref="EnvSpec.EnvSeed"/>, as in the
/// cluster), one agent context per env, every step's decisions for all envs from one batched
/// <see cref="IDecisionPolicy.DecideBatch"/> call, and <see cref="TrajectoryChunk"/>s (step-major, with log-probs, values,
/// plan-token counts and bootstrap values) for the learner. Finished episodes restart at once.
/// </summary>
public sealed class LocalRollouts
{
    private readonly IDecisionPolicy _policy;
    private readonly CrafterVectorEnv _envs;
    private readonly AgentContext[] _contexts;
    private readonly int[][] _prompts;
    private readonly int _maxPrompt;
    private readonly string _experimentId;
    private PolicyOutput[]? _next;
    private readonly double[] _returns;
    private readonly int[] _lengths, _planSteps;
    private readonly long[] _planTokens;
    private readonly uint[] _unlocked;
    private long _sequence;

    public LocalRollouts(RolloutsConfig config, IDecisionPolicy policy)
    {
        _policy = policy;
        _experimentId = config.Experiment.Name;
        int actors = config.Rollout.Actors, perActor = config.Env.EnvsPerActor;
        var seeds = new long[actors * perActor];
        for (int a = 0; a < actors; a++)
            for (int e = 0; e < perActor; e++)
                seeds[a * perActor + e] = EnvSpec.EnvSeed(config.Experiment.Seed, a, e);
        var options = new CrafterOptions { AreaWidth = config.Env.Area, AreaHeight = config.Env.Area, Length = config.Env.Length };
        _envs = new CrafterVectorEnv(seeds, options);
        _envs.Reset();
        int n = seeds.Length;
        _contexts = new AgentContext[n];
        _prompts = new int[n][];
        _returns = new double[n];
        _lengths = new int[n];
        _planSteps = new int[n];
        _planTokens = new long[n];
        _unlocked = new uint[n];
        _maxPrompt = config.Model.Context - Grains.Policy.PolicySetup.Grammar(config).MaxOutputTokens;
        for (int i = 0; i < n; i++)
        {
            _contexts[i] = new AgentContext();
            Encode(i);
        }
    }

    public int Envs => _envs.Count;

    /// <summary>Env steps taken so far (over all envs).</summary>
    public long EnvSteps { get; private set; }

    /// <summary>
    /// Plays <paramref name="steps"/> steps in every env with the current policy and returns them as one chunk
    /// (policy version <paramref name="version"/>); <paramref name="finished"/> receives the episodes that ended.
    /// </summary>
    public TrajectoryChunk Collect(int steps, int version, List<EpisodeResult> finished, CancellationToken cancellation = default)
    {
        int k = _envs.Count;
        var chunkBuilder = new TrajectoryChunkBuilder(k, steps);
        var stepActions = new int[k];
        var results = new StepResult[k];

        for (int t = 0; t < steps; t++)
        {
            cancellation.ThrowIfCancellationRequested();
            var decisions = _next ?? Decide();
            _next = null;
            for (int i = 0; i < k; i++)
            {
                var output = decisions[i];
                var decision = LoadedPolicy.ToDecision(output.Tokens);
                _contexts[i].Record(decision);
                chunkBuilder.RecordDecision(t, i, _prompts[i], output, (int)decision.Action, version);
                stepActions[i] = (int)decision.Action;
                if (decision.Plan is not null)
                {
                    _planSteps[i]++;
                    _planTokens[i] += decision.PlanTokenCount;
                }
            }
            _envs.Step(stepActions, results);
            for (int i = 0; i < k; i++)
            {
                chunkBuilder.RecordOutcome(t, i, (float)results[i].Reward, results[i].Done);
                _returns[i] += results[i].Reward;
                _lengths[i]++;
                _unlocked[i] |= results[i].Unlocked;
                if (results[i].Done)
                {
                    finished.Add(new EpisodeResult(_envs[i].Seed, _lengths[i], _returns[i], _unlocked[i], _planSteps[i], _planTokens[i]));
                    _returns[i] = 0;
                    _lengths[i] = _planSteps[i] = 0;
                    _planTokens[i] = 0;
                    _unlocked[i] = 0;
                    _contexts[i].Reset(); // the vector env has already reset the env
                }
                Encode(i);
            }
            EnvSteps += k;
        }

        // The value of the observation after the chunk bootstraps GAE; its decision is the next chunk's first.
        _next = Decide();
        var bootstrap = new float[k];
        for (int i = 0; i < k; i++) bootstrap[i] = _next[i].Value;
        return chunkBuilder.Build(_experimentId, "local", _sequence++, version, bootstrap);
    }

    /// <summary>Forgets the decision computed for the next step (call after the policy's weights change).</summary>
    public void InvalidatePending() => _next = null;

    private PolicyOutput[] Decide()
    {
        var outputs = _policy.DecideBatch(_prompts);
        if (outputs.Length != _prompts.Length)
            throw new InvalidOperationException($"The policy answered {outputs.Length} outputs for {_prompts.Length} prompts.");
        return outputs;
    }

    private void Encode(int i) => _prompts[i] = LoadedPolicy.FitPrompt(ObservationEncoder.EncodePrompt(_envs[i], _contexts[i]), _maxPrompt);
}
