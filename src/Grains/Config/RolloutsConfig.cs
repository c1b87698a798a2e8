namespace Rollouts.Config;

/// <summary>
/// An experiment's configuration, as written in a YAML file (<c>configs/quick.yaml</c>): one section per concern.
/// Field names are snake_case in YAML (<c>max_batch</c>) and PascalCase here. Unknown fields are errors.
/// Load with <see cref="ConfigLoader.Load(string)"/>; every value is checked by <see cref="Validate"/>.
/// </summary>
public sealed class RolloutsConfig
{
    public ExperimentSection Experiment { get; set; } = new();
    public EnvSection Env { get; set; } = new();
    public ModelSection Model { get; set; } = new();
    public SftSection Sft { get; set; } = new();
    public PpoSection Ppo { get; set; } = new();
    public RolloutSection Rollout { get; set; } = new();
    public InferenceSection Inference { get; set; } = new();
    public LearnerSection Learner { get; set; } = new();
    /// <summary>How <c>rollouts train</c> evaluates the teacher, the SFT and the PPO policy (same seeds for all three).</summary>
    public EvalSection Eval { get; set; } = new();

    private static bool IsSchedule(string? s) =>
        s is "mixed" or "every" or "event" or "never"
        || (s is not null && s.StartsWith("every-", StringComparison.Ordinal) && int.TryParse(s.AsSpan(6), System.Globalization.NumberStyles.None, null, out int k) && k >= 1);

    /// <summary>Every problem, as "section.field: message" (empty when the config is valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(bool ok, string field, string message)
        {
            if (!ok) errors.Add($"{field}: {message}");
        }

        Check(!string.IsNullOrWhiteSpace(Experiment.Name), "experiment.name", "must not be empty");
        Check(Experiment.Name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.'), "experiment.name", "may hold only letters, digits, '-', '_' and '.'");
        Check(Experiment.Seed >= 0, "experiment.seed", "must be non-negative");
        Check(Experiment.TotalEnvSteps > 0, "experiment.total_env_steps", "must be positive");
        Check(Experiment.MaxMinutes > 0, "experiment.max_minutes", "must be positive");

        Check(Env.Area >= 9, "env.area", "must be at least 9");
        Check(Env.Length > 0, "env.length", "must be positive");
        Check(Env.EnvsPerActor is > 0 and <= 1024, "env.envs_per_actor", "must be in 1..1024");
        // The prompt's action history has a fixed length (AgentContext.HistoryLength): checkpoints are trained on it.
        Check(Env.RecentActions == 4, "env.recent_actions", "must be 4 (the prompt always shows the last 4 actions; other lengths are not supported yet)");

        Check(Model.DModel > 0, "model.d_model", "must be positive");
        Check(Model.Layers > 0, "model.layers", "must be positive");
        Check(Model.Heads > 0 && Model.DModel % Math.Max(1, Model.Heads) == 0, "model.heads", "must be positive and divide model.d_model");
        Check(Model.Context >= 16, "model.context", "must be at least 16");
        Check(Model.MaxOutputTokens is > 0 and <= 64, "model.max_output_tokens", "must be in 1..64");
        Check(Model.Device is "cpu" or "cuda" or "auto", "model.device", "must be cpu, cuda or auto");
        Check(Model.Positions is "rotary" or "learned", "model.positions", "must be rotary or learned");
        Check(Model.Positions != "rotary" || Model.Heads <= 0 || Model.DModel / Math.Max(1, Model.Heads) % 2 == 0, "model.positions",
            "rotary positions need an even head width (model.d_model / model.heads)");

        Check(Sft.Episodes >= 0, "sft.episodes", "must be non-negative");
        Check(Sft.Steps >= 0, "sft.steps", "must be non-negative");
        Check(Sft.BatchSize > 0, "sft.batch_size", "must be positive");
        Check(Sft.LearningRate > 0, "sft.learning_rate", "must be positive");
        Check(Sft.TargetLoss >= 0, "sft.target_loss", "must be non-negative");
        Check(Sft.ExtraSteps >= 0, "sft.extra_steps", "must be non-negative");
        Check(Sft.TimeShare is > 0 and <= 1, "sft.time_share", "must be in (0, 1]");
        Check(Sft.TeacherVision is "local" or "full", "sft.teacher_vision", "must be local or full");
        Check(Sft.ActionNoise is >= 0 and < 1, "sft.action_noise", "must be in [0, 1)");
        Check(Sft.ActionBalance is >= 0 and <= 1, "sft.action_balance", "must be in [0, 1]");
        Check(Sft.ActionLossWeight is > 0 and <= 100, "sft.action_loss_weight", "must be in (0, 100]");
        Check(IsSchedule(Sft.Schedule), "sft.schedule", "must be mixed, every, every-K (K >= 1), event or never");
        Check(Sft.DaggerRounds is >= 0 and <= 50, "sft.dagger_rounds", "must be in 0..50");
        Check(Sft.DaggerEpisodes > 0, "sft.dagger_episodes", "must be positive");
        Check(Sft.DaggerSteps >= 0, "sft.dagger_steps", "must be non-negative");
        Check(Sft.AverageDecay is >= 0 and < 1, "sft.average_decay", "must be in [0, 1)");
        Check(Sft.DecayShare is >= 0 and <= 1, "sft.decay_share", "must be in [0, 1]");

        Check(Ppo.LearningRate > 0, "ppo.learning_rate", "must be positive");
        Check(Ppo.Gamma is > 0 and <= 1, "ppo.gamma", "must be in (0, 1]");
        Check(Ppo.GaeLambda is >= 0 and <= 1, "ppo.gae_lambda", "must be in [0, 1]");
        Check(Ppo.ClipCoef > 0, "ppo.clip_coef", "must be positive");
        Check(Ppo.ValueCoef >= 0, "ppo.value_coef", "must be non-negative");
        Check(Ppo.EntropyCoef >= 0, "ppo.entropy_coef", "must be non-negative");
        Check(Ppo.KlCoef >= 0, "ppo.kl_coef", "must be non-negative");
        Check(Ppo.PlanTokenCost >= 0, "ppo.plan_token_cost", "must be non-negative");
        Check(Ppo.Epochs > 0, "ppo.epochs", "must be positive");
        Check(Ppo.MinibatchSize > 0, "ppo.minibatch_size", "must be positive");
        Check(Ppo.StepsPerUpdate > 0, "ppo.steps_per_update", "must be positive");
        Check(Ppo.MaxGradNorm > 0, "ppo.max_grad_norm", "must be positive");
        Check(Ppo.ValueWarmup is >= 0 and <= 1000, "ppo.value_warmup", "must be in 0..1000");
        Check(Ppo.AverageDecay is >= 0 and < 1, "ppo.average_decay", "must be in [0, 1)");

        Check(Rollout.Actors is > 0 and <= 4096, "rollout.actors", "must be in 1..4096");
        Check(Rollout.ChunkLength is > 0 and <= 4096, "rollout.chunk_length", "must be in 1..4096");
        Check(Rollout.Policy is "model" or "teacher", "rollout.policy", "must be 'model' or 'teacher'");

        Check(Inference.MaxBatch is > 0 and <= 65536, "inference.max_batch", "must be in 1..65536");
        Check(Inference.MaxWaitMs is >= 0 and <= 10000, "inference.max_wait_ms", "must be in 0..10000");
        Check(Inference.Replicas is > 0 and <= 64, "inference.replicas", "must be in 1..64");
        Check(Inference.WeightPollMs > 0, "inference.weight_poll_ms", "must be positive");

        Check(Learner.MaxPolicyLag >= 0, "learner.max_policy_lag", "must be non-negative");
        Check(Learner.LagMode is "drop" or "downweight", "learner.lag_mode", "must be 'drop' or 'downweight'");
        Check(Learner.CheckpointEvery > 0, "learner.checkpoint_every", "must be positive");
        Check(Learner.QueueCapacity > 0, "learner.queue_capacity", "must be positive");

        Check(Eval.Episodes > 0, "eval.episodes", "must be positive");
        Check(Eval.Length > 0, "eval.length", "must be positive");
        Check(Eval.Seed >= 0, "eval.seed", "must be non-negative");
        Check(Eval.Temperature >= 0, "eval.temperature", "must be non-negative (0: greedy)");
        return errors;
    }
}

public sealed class ExperimentSection
{
    /// <summary>Experiment id: names the grains, the checkpoints and the run.</summary>
    public string Name { get; set; } = "quick";
    /// <summary>Every env seed, model initialisation and sampling stream derives from it.</summary>
    public long Seed { get; set; } = 1;
    /// <summary>PPO phase ends after this many environment steps (over all actors).</summary>
    public long TotalEnvSteps { get; set; } = 20_000;
    /// <summary>Wall-clock guard for the whole experiment.</summary>
    public double MaxMinutes { get; set; } = 15;
}

public sealed class EnvSection
{
    /// <summary>World size (Crafter's default is 64).</summary>
    public int Area { get; set; } = 64;
    /// <summary>Episode length cap (Crafter's default is 10000).</summary>
    public int Length { get; set; } = 10_000;
    /// <summary>Crafter instances per environment grain (one environment grain per actor).</summary>
    public int EnvsPerActor { get; set; } = 8;
    /// <summary>How many past actions the agent's context holds.</summary>
    public int RecentActions { get; set; } = 4;
}

public sealed class ModelSection
{
    public int DModel { get; set; } = 64;
    public int Layers { get; set; } = 2;
    public int Heads { get; set; } = 4;
    /// <summary>Longest prompt plus output, in tokens.</summary>
    public int Context { get; set; } = 256;
    /// <summary>Longest output: <c>&lt;plan&gt;</c>, up to this less 4 subgoals (one token each), <c>&lt;/plan&gt; &lt;act&gt; A</c>.</summary>
    public int MaxOutputTokens { get; set; } = 12;
    /// <summary>How the transformer encodes positions: <c>rotary</c> (RoPE, the default) or <c>learned</c> (an absolute table).</summary>
    public string Positions { get; set; } = "rotary";
    /// <summary>cpu, cuda or auto (cuda where there is one).</summary>
    public string Device { get; set; } = "cpu";
    /// <summary>Sampling temperature for acting.</summary>
    public double Temperature { get; set; } = 1.0;
}

public sealed class SftSection
{
    /// <summary>Teacher episodes recorded for the warm-up.</summary>
    public int Episodes { get; set; } = 16;
    /// <summary>Maximum steps per teacher episode.</summary>
    public int EpisodeSteps { get; set; } = 200;
    /// <summary>Gradient steps (upper bound; stops early at the target loss).</summary>
    public int Steps { get; set; } = 200;
    public int BatchSize { get; set; } = 32;
    public double LearningRate { get; set; } = 1e-3;
    public double TargetLoss { get; set; } = 0.2;
    /// <summary><c>rollouts train</c> only: gradient steps on the same teacher data after the warm-up (no early stop); <c>rollouts run</c> does the warm-up alone.</summary>
    public int ExtraSteps { get; set; }
    /// <summary><c>rollouts train</c> only: the extra steps stop once the run has used this share of
    /// <c>experiment.max_minutes</c>, so that a slower machine trains fewer SFT steps and PPO and the evaluations keep
    /// the rest of the time, instead of the run going over.</summary>
    public double TimeShare { get; set; } = 0.6;
    /// <summary>What the teacher that writes the SFT data sees: <c>local</c> (the student's view window, so that its choices
    /// can be learned from the prompt) or <c>full</c> (the whole map: a stronger player the student cannot follow).</summary>
    public string TeacherVision { get; set; } = "local";
    /// <summary>Probability per teacher step that a random move/do/noop runs instead (the label stays the teacher's): recovery data.</summary>
    public double ActionNoise { get; set; } = 0.15;
    /// <summary>The teacher's planning schedule in the SFT data: <c>mixed</c> (one drawn per episode: every step, every k,
    /// on events, never) or one of <c>every</c>, <c>every-K</c>, <c>event</c>, <c>never</c>.</summary>
    public string Schedule { get; set; } = "mixed";
    /// <summary>SFT draws a teacher step with probability ∝ (count of its action)^-action_balance: 0 uniform, 1 every action
    /// equally often. Rare tech-tree actions (place table, make pickaxe) are under 1 % of the steps.</summary>
    public double ActionBalance { get; set; }
    /// <summary>Weight of the action token in the SFT loss relative to the other output tokens (plan words, &lt;act&gt;).</summary>
    public double ActionLossWeight { get; set; } = 1.0;
    /// <summary><c>rollouts train</c> only: DAgger rounds after the warm-up. Each round the student plays
    /// <see cref="DaggerEpisodes"/> episodes, the teacher labels the states it reached, and SFT goes on for
    /// <see cref="DaggerSteps"/> steps on all data so far.</summary>
    public int DaggerRounds { get; set; }
    public int DaggerEpisodes { get; set; } = 64;
    public int DaggerSteps { get; set; } = 500;
    /// <summary>Polyak averaging: the SFT student (what PPO starts from, what sft.ckpt holds) is an exponential moving
    /// average of the weights with this decay (warmed up over the first steps); 0 hands on the last weights.</summary>
    public double AverageDecay { get; set; }
    /// <summary><c>rollouts train</c> only: over this last share of the extra steps the learning rate falls linearly to
    /// zero; the share is counted in steps or, when <see cref="TimeShare"/> would stop the steps sooner, in time to that
    /// stop, whichever is further along. 0 keeps the learning rate constant.</summary>
    public double DecayShare { get; set; }
}

public sealed class PpoSection
{
    public double LearningRate { get; set; } = 3e-4;
    public double Gamma { get; set; } = 0.99;
    public double GaeLambda { get; set; } = 0.95;
    public double ClipCoef { get; set; } = 0.2;
    public double ValueCoef { get; set; } = 0.5;
    public double EntropyCoef { get; set; } = 0.01;
    public double KlCoef { get; set; } = 0.0;
    /// <summary>Reward penalty per generated plan token (the cost of planning).</summary>
    public double PlanTokenCost { get; set; } = 0.001;
    public int Epochs { get; set; } = 2;
    public int MinibatchSize { get; set; } = 64;
    /// <summary>Env steps (over all envs) gathered before one PPO update.</summary>
    public int StepsPerUpdate { get; set; } = 1024;
    public double MaxGradNorm { get; set; } = 0.5;
    /// <summary>PPO updates at the start that only fit the value head (zero until then; least squares on the SFT
    /// policy's rollouts) and leave the policy as SFT made it. 0: PPO starts at once, on SFT's untrained value head.</summary>
    public int ValueWarmup { get; set; }

    /// <summary>&gt; 0: the final PPO policy (<c>rollouts train</c>'s <c>ppo.ckpt</c>) is the exponential moving average of
    /// the weights over the policy updates with this decay, as <c>sft.average_decay</c> is for SFT; the actors always
    /// play the current weights (PPO stays on-policy). 0: the last weights.</summary>
    public double AverageDecay { get; set; }
}

public sealed class RolloutSection
{
    /// <summary>Actor grains (each drives one environment grain with env.envs_per_actor envs).</summary>
    public int Actors { get; set; } = 4;
    /// <summary>Steps per trajectory chunk (per env).</summary>
    public int ChunkLength { get; set; } = 32;
    /// <summary>model: the learned policy on the inference grains; teacher: the scripted teacher acts.</summary>
    public string Policy { get; set; } = "model";
}

public sealed class InferenceSection
{
    /// <summary>Most prompts in one forward pass.</summary>
    public int MaxBatch { get; set; } = 64;
    /// <summary>Longest a request waits for others to join its batch.</summary>
    public int MaxWaitMs { get; set; } = 5;
    /// <summary>Inference grains (at most one per inference silo is placed per replica key).</summary>
    public int Replicas { get; set; } = 1;
    /// <summary>How often an inference grain checks for a newer policy version.</summary>
    public int WeightPollMs { get; set; } = 1000;
}

public sealed class LearnerSection
{
    /// <summary>Chunks whose policy version is more than this behind the learner's are dropped or down-weighted.</summary>
    public int MaxPolicyLag { get; set; } = 2;
    /// <summary>drop or downweight.</summary>
    public string LagMode { get; set; } = "drop";
    /// <summary>Checkpoint (and publish weights) every N updates.</summary>
    public int CheckpointEvery { get; set; } = 1;
    /// <summary>Chunks buffered between intake and the update loop.</summary>
    public int QueueCapacity { get; set; } = 256;
}

public sealed class EvalSection
{
    /// <summary>Evaluation episodes per agent (episode i uses env seed <c>seed * 1000 + i</c>).</summary>
    public int Episodes { get; set; } = 32;
    /// <summary>Evaluation episode length cap (the same for the teacher and the policies).</summary>
    public int Length { get; set; } = 1000;
    public long Seed { get; set; } = 777;
    /// <summary>Sampling temperature of the policies when evaluated (0: greedy).</summary>
    public double Temperature { get; set; } = 1.0;
}
