using Rollouts.Agent;
using Rollouts.Crafter;
using Rollouts.Policy;

namespace Rollouts.Training;

/// <summary>
/// A learned policy as an <see cref="IAgent"/>: each step it encodes the observation and its context
/// (<see cref="ObservationEncoder.EncodePrompt(CrafterEnv, AgentContext)"/>), generates <c>&lt;plan&gt; … &lt;/plan&gt; &lt;act&gt; A</c>
/// or <c>&lt;act&gt; A</c> under the output grammar, parses the plan and action, and records them in its context (a new
/// plan becomes the current plan). Agents made from one <see cref="DecisionBatcher"/> share the model: decisions that
/// agents on other threads ask for at the same time are generated in one batch.
/// </summary>
public sealed class PolicyAgent : IAgent
{
    private readonly DecisionBatcher _batcher;

    public PolicyAgent(LoadedPolicy policy, string name = "checkpoint") : this(new DecisionBatcher(policy), name) { }

    public PolicyAgent(DecisionBatcher batcher, string name = "checkpoint")
    {
        _batcher = batcher;
        Name = name;
    }

    public string Name { get; }

    /// <summary>The batcher (and through it the loaded policy and its decoding) this agent decides with.</summary>
    public DecisionBatcher Batcher => _batcher;

    public AgentContext Context { get; } = new();

    /// <summary>The last step's generation (log-prob, value, plan tokens), for inspection.</summary>
    public GenerationResult? LastGeneration { get; private set; }

    public void Reset(CrafterEnv env) => Context.Reset();

    public AgentDecision Decide(CrafterEnv env)
    {
        var prompt = ObservationEncoder.EncodePrompt(env, Context);
        var result = _batcher.Decide(prompt, LoadedPolicy.DecisionKey(env));
        LastGeneration = result;
        var decision = LoadedPolicy.ToDecision(result.Output);
        Context.Record(decision);
        return decision;
    }
}

/// <summary>
/// Joins decisions that several threads ask for at once into one <see cref="LoadedPolicy.Generate"/> call (flat
/// combining: whoever gets the model runs every queued prompt). With one thread it is a plain call.
/// </summary>
public sealed class DecisionBatcher(LoadedPolicy policy)
{
    private sealed class Request(int[] prompt, ulong key)
    {
        public readonly int[] Prompt = prompt;
        public readonly ulong Key = key;
        public GenerationResult? Result;
        public Exception? Error;
    }

    private readonly Lock _queueGate = new();
    private readonly Lock _modelGate = new();
    private readonly List<Request> _queue = new();

    public LoadedPolicy Policy { get; } = policy;

    public long Batches { get; private set; }

    /// <param name="sampleKey">The decision's key (<see cref="LoadedPolicy.DecisionKey"/>): its sampling does not depend on
    /// which other decisions share its batch.</param>
    public GenerationResult Decide(int[] prompt, ulong sampleKey)
    {
        var request = new Request(prompt, sampleKey);
        lock (_queueGate) _queue.Add(request);
        lock (_modelGate)
        {
            if (request.Result is null && request.Error is null)
            {
                Request[] batch;
                lock (_queueGate)
                {
                    batch = _queue.ToArray();
                    _queue.Clear();
                }
                try
                {
                    var results = Policy.Generate(batch.Select(r => r.Prompt).ToArray(), batch.Select(r => r.Key).ToArray());
                    for (int i = 0; i < batch.Length; i++) batch[i].Result = results[i];
                }
                catch (Exception e)
                {
                    foreach (var r in batch) r.Error = e;
                }
                Batches++;
            }
        }
        if (request.Error is not null) throw new InvalidOperationException($"The policy failed to decide: {request.Error.Message}", request.Error);
        return request.Result!;
    }
}

/// <summary>Registers the <c>checkpoint:PATH</c> agent kind with <see cref="AgentFactory"/> (for <c>rollouts eval</c>).</summary>
public static class PolicyAgents
{
    /// <summary>
    /// After this, <c>AgentFactory.Resolve("checkpoint:PATH")</c> loads the checkpoint once (eagerly: a missing, bad or
    /// wrong-shape file is an <see cref="AgentSpecException"/> with one clear message) and makes one
    /// <see cref="PolicyAgent"/> per episode, all sharing the model through one <see cref="DecisionBatcher"/>.
    /// The policy samples at the spec's temperature (<c>--temperature</c>; 0: greedy), else at the one the checkpoint
    /// was evaluated with in training (else 1); the spec's planning (<c>--planning never|always</c>) forces the decision
    /// to plan.
    /// </summary>
    public static void Register()
    {
        AgentFactory.Register(AgentFactory.Checkpoint, spec =>
        {
            if (string.IsNullOrWhiteSpace(spec.Argument))
                throw new AgentSpecException("--agent checkpoint:PATH needs the path of a policy checkpoint (e.g. checkpoint:runs/train-quick/ppo.ckpt).");
            if (spec.PlanText is not null)
                throw new AgentSpecException("--plan is only for --agent plan; a checkpoint agent makes its own plans.");
            LoadedPolicy policy;
            // AgentFactory.ForcedPlanning has checked the name ("never", "always"; null: the model decides).
            var planDecision = PlanDecisionNames.Parse(spec.Planning);
            try { policy = LoadedPolicy.Load(spec.Argument.Trim(), spec.Temperature, planDecision: planDecision); }
            catch (CheckpointException e) { throw new AgentSpecException(e.Message, e); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or DllNotFoundException or TypeInitializationException)
            {
                throw new AgentSpecException($"checkpoint '{spec.Argument}': cannot be loaded: {e.Message}", e);
            }
            var batcher = new DecisionBatcher(policy);
            return _ => new PolicyAgent(batcher, $"checkpoint:{spec.Argument}");
        });
    }
}
