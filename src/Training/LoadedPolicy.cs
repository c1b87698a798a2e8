using System.Globalization;
using Rollouts.Agent;
using Rollouts.Crafter;
using Rollouts.Policy;
using TorchSharp;

namespace Rollouts.Training;

/// <summary>
/// A policy checkpoint ready to act: the model (of the checkpoint's shape), the output grammar, and how to decode
/// (sampled at a temperature, or greedy). Decisions are batched: <see cref="Generate"/> takes any number of prompts.
/// Thread-safe (one generation at a time).
/// </summary>
public sealed class LoadedPolicy : IDisposable
{
    /// <summary>Checkpoint metadata keys written by <c>rollouts train</c>.</summary>
    public const string MaxPlanTokensKey = "max_plan_tokens", TemperatureKey = "eval_temperature";

    /// <summary>Plan tokens allowed between &lt;plan&gt; and &lt;/plan&gt; when the checkpoint does not say (teacher plans need up to 19).</summary>
    public const int DefaultMaxPlanTokens = 20;

    /// <summary>Shortest prompt room a checkpoint must leave besides the output (a prompt is rarely shorter).</summary>
    public const int MinPromptTokens = 48;

    private readonly Lock _gate = new();
    private readonly torch.Generator _generator;

    private LoadedPolicy(string path, PolicyModel model, PolicyCheckpointInfo info, OutputGrammar grammar, DecodeOptions decode, long seed)
    {
        Path = path;
        Model = model;
        Info = info;
        Grammar = grammar;
        Decode = decode;
        _generator = new torch.Generator((ulong)seed, torch.CPU); // TorchSharp generators are CPU ones; the decoder moves its draws
    }

    /// <summary>The grammar's token ids for Rollouts.Agent's vocabulary (the same as the learner's).</summary>
    public static TokenSpec Tokens => Grains.Policy.PolicySetup.Tokens;

    public string Path { get; }
    public PolicyModel Model { get; }
    public PolicyCheckpointInfo Info { get; }
    public OutputGrammar Grammar { get; }
    public DecodeOptions Decode { get; }

    /// <summary>Longest prompt that fits the model's context with room for the longest output.</summary>
    public int MaxPromptTokens => Model.Config.MaxContext - Grammar.MaxOutputTokens;

    /// <summary>Decisions made so far (for throughput reports).</summary>
    public long Decisions { get; private set; }

    /// <summary>
    /// Loads a checkpoint for acting. Throws <see cref="CheckpointException"/> (naming the file and the problem) when
    /// the file is missing, not a checkpoint, truncated, corrupt, or holds a model that cannot read this agent's prompts
    /// (another vocabulary, or a context too short for a prompt and an output).
    /// </summary>
    /// <param name="temperature">Sampling temperature; 0 decodes greedily; null: the checkpoint's own (else 1).</param>
    /// <param name="planDecision">Whether the model decides to plan (the default) or every output is forced to act
    /// directly (<see cref="PlanDecision.Never"/>) or to plan first (<see cref="PlanDecision.Always"/>).</param>
    public static LoadedPolicy Load(string path, double? temperature = null, long seed = 1, torch.Device? device = null,
        PlanDecision planDecision = PlanDecision.Model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new CheckpointException(path, Directory.Exists(path) ? "is a directory, not a checkpoint file." : "does not exist.");
        TorchRuntime.EnsureLoaded();
        var info = PolicyCheckpoint.ReadInfo(path);
        var config = info.Config;
        if (config.VocabSize != Vocabulary.Size)
            throw new CheckpointException(path,
                $"holds a model of shape {PolicyCheckpoint.Describe(config)} with a vocabulary of {config.VocabSize} tokens; this agent's vocabulary has {Vocabulary.Size} tokens, so the checkpoint was not trained for it.");
        int maxPlan = DefaultMaxPlanTokens;
        if (info.Metadata.TryGetValue(MaxPlanTokensKey, out var text) &&
            (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out maxPlan) || maxPlan < 1 || maxPlan > 256))
            throw new CheckpointException(path, $"metadata '{MaxPlanTokensKey}' is '{text}', not a plan length in 1..256.");
        var grammar = new OutputGrammar(Tokens, maxPlan, endWithEos: false, planDecision);
        if (config.MaxContext < grammar.MaxOutputTokens + MinPromptTokens)
            throw new CheckpointException(path,
                $"holds a model of shape {PolicyCheckpoint.Describe(config)} whose context of {config.MaxContext} tokens cannot hold a prompt (at least {MinPromptTokens} tokens) and an output (up to {grammar.MaxOutputTokens} tokens).");

        double t = temperature ?? (info.Metadata.TryGetValue(TemperatureKey, out var tt) &&
            double.TryParse(tt, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) && parsed >= 0 ? parsed : 1.0);
        if (!(t >= 0) || double.IsInfinity(t)) throw new ArgumentOutOfRangeException(nameof(temperature), t, "The temperature must be a finite number >= 0 (0: greedy).");
        var decode = t == 0 ? new DecodeOptions(Greedy: true) : new DecodeOptions(Temperature: t);

        var (model, loaded) = PolicyCheckpoint.LoadModel(path, device ?? torch.CPU);
        model.eval();
        return new LoadedPolicy(path, model, loaded, grammar, decode, seed);
    }

    /// <summary>
    /// The sample key of the decision about to be made in <paramref name="env"/>: its env seed and step. Evaluation
    /// (<see cref="BatchedEvaluator"/>, <see cref="PolicyAgent"/>) keys every decision with it, so both play the same episodes.
    /// </summary>
    public static ulong DecisionKey(CrafterEnv env) => SampleStream.DecisionKey(env.Seed, env.StepCount);

    /// <summary>One output per prompt (prompts longer than <see cref="MaxPromptTokens"/> are cut, see <see cref="FitPrompt"/>).</summary>
    /// <param name="sampleKeys">Per prompt, the key of its decision (<see cref="SampleStream.DecisionKey"/>): each is sampled
    /// from its own stream, the same in any batch. Null: from the policy's seeded generator, in batch order.</param>
    public GenerationResult[] Generate(IReadOnlyList<int[]> prompts, IReadOnlyList<ulong>? sampleKeys = null)
    {
        var fitted = new int[prompts.Count][];
        for (int i = 0; i < fitted.Length; i++) fitted[i] = FitPrompt(prompts[i], MaxPromptTokens);
        lock (_gate)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var results = PolicyDecoder.Generate(Model, Grammar, fitted, Decode, Decode.Greedy ? null : _generator, sampleKeys);
            Decisions += results.Length;
            return results;
        }
    }

    /// <summary>
    /// A prompt that fits <paramref name="maxTokens"/>: unchanged when it does, else its first token (&lt;bos&gt;) and its
    /// last tokens (the end of the prompt holds the plan, its age and the last actions).
    /// </summary>
    public static int[] FitPrompt(int[] prompt, int maxTokens)
    {
        if (prompt.Length <= maxTokens) return prompt;
        if (maxTokens < 2) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "A prompt needs room for at least 2 tokens.");
        var cut = new int[maxTokens];
        cut[0] = prompt[0];
        Array.Copy(prompt, prompt.Length - (maxTokens - 1), cut, 1, maxTokens - 1);
        return cut;
    }

    /// <summary>
    /// The decision an output stands for: its action and plan (plan segments that are no subgoal are left out). An
    /// output that breaks the grammar (only possible for a policy decoded without it) is a noop without a plan.
    /// </summary>
    public static AgentDecision ToDecision(int[] output)
    {
        try { return AgentDecision.FromOutputTokens(output); }
        catch (Exception e) when (e is UnknownTokenException or PlanParseException or ArgumentException)
        {
            return AgentDecision.ActOnlyDecision(CrafterAction.Noop);
        }
    }

    public void Dispose()
    {
        _generator.Dispose();
        Model.Dispose();
    }
}
