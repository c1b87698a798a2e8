using Rollouts.Config;

namespace Rollouts.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ExperimentTests(ClusterFixture fixture)
{
    private IExperimentGrain Experiment(RolloutsConfig c) => fixture.Cluster.GrainFactory.GetGrain<IExperimentGrain>(c.Experiment.Name);

    private async Task<ExperimentStatus> RunToEnd(RolloutsConfig config, Func<Task>? whileRunning = null)
    {
        var experiment = Experiment(config);
        await experiment.Submit(TestConfigs.Yaml(config), "test.yaml");
        if (whileRunning is not null) await whileRunning();
        await TestConfigs.WaitUntil(async () => (await experiment.GetStatus()).Phase == ExperimentPhase.Done, "the experiment reaches its env-step budget");
        var status = await experiment.GetStatus();
        var learner = fixture.Cluster.GrainFactory.GetGrain<ILearnerGrain>(config.Experiment.Name);
        var progress = await learner.Drain(status.ChunksPublished, TimeSpan.FromSeconds(20));
        var final = await experiment.GetStatus();
        Assert.True(final.ChunksPublished == progress.ChunksIngested, $"published {final.ChunksPublished}, learner: {progress}");
        return final;
    }

    [Fact]
    public async Task An_experiment_runs_sft_then_ppo_and_the_learner_ingests_every_published_chunk()
    {
        var config = TestConfigs.Small("e2e");
        var status = await RunToEnd(config);
        Assert.Equal(ExperimentPhase.Done, status.Phase);
        Assert.True(status.PpoEnvSteps >= config.Experiment.TotalEnvSteps);
        Assert.True(status.ChunksPublished > 0);
        Assert.Equal(status.ChunksPublished, status.ChunksIngested);
        Assert.True(status.PolicyVersion >= 1, "SFT publishes version 1");
        Assert.True(status.LearnerUpdates >= 1);
        Assert.True(status.Episodes > 0, "episodes of 40 steps finish");
        Assert.True(status.PlanningRate > 0 && status.PlanningRate < 1);
        Assert.True(status.TokensPerStep >= 2);
        // Every step of every env is in exactly one chunk.
        Assert.Equal(status.EnvSteps, status.ChunksPublished * config.Rollout.ChunkLength * config.Env.EnvsPerActor);
        for (int i = 0; i < config.Rollout.Actors; i++)
        {
            var actor = await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(RolloutsNames.ActorKey(config.Experiment.Name, i)).GetStats();
            Assert.False(actor.Running);
            Assert.True(actor.ChunksPublished > 0);
        }
    }

    [Fact]
    public async Task A_failing_actor_does_not_stop_the_experiment()
    {
        var config = TestConfigs.Small("fault", c => c.Experiment.TotalEnvSteps = 600);
        var experiment = Experiment(config);
        var status = await RunToEnd(config, async () =>
        {
            await TestConfigs.WaitUntil(async () => (await experiment.GetStatus()).Phase == ExperimentPhase.Ppo, "PPO starts");
            await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(RolloutsNames.ActorKey(config.Experiment.Name, 0)).InjectFault("test");
        });
        Assert.Equal(ExperimentPhase.Done, status.Phase);
        Assert.True(status.ActorFailures >= 1);
        Assert.Equal(status.ChunksPublished, status.ChunksIngested);
        var actor0 = await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(RolloutsNames.ActorKey(config.Experiment.Name, 0)).GetStats();
        Assert.Equal(1, actor0.Failures);
        Assert.Contains("injected fault", actor0.LastError);
    }

    [Fact]
    public async Task Steering_reaches_the_envs_of_every_actor()
    {
        var config = TestConfigs.Small("steer", c => c.Experiment.TotalEnvSteps = 100_000);
        var experiment = Experiment(config);
        await experiment.Submit(TestConfigs.Yaml(config), "test.yaml");
        await TestConfigs.WaitUntil(async () => (await experiment.GetStatus()).Phase == ExperimentPhase.Ppo, "PPO starts");
        await experiment.Steer("collect wood, place table");
        for (int i = 0; i < config.Rollout.Actors; i++)
        {
            var stats = await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(RolloutsNames.ActorKey(config.Experiment.Name, i)).GetStats();
            Assert.Equal("collect wood, place table", stats.SteeringPlan);
        }
        Assert.Equal("collect wood, place table", (await experiment.GetStatus()).SteeringPlan);
        var stopped = await experiment.Stop();
        Assert.Equal(ExperimentPhase.Stopped, stopped.Phase);
        for (int i = 0; i < config.Rollout.Actors; i++)
            Assert.False((await fixture.Cluster.GrainFactory.GetGrain<IActorGrain>(RolloutsNames.ActorKey(config.Experiment.Name, i)).GetStats()).Running);
    }

    [Fact]
    public async Task A_config_with_a_wrong_field_is_rejected_with_the_field_named()
    {
        var experiment = fixture.Cluster.GrainFactory.GetGrain<IExperimentGrain>("bad-config");
        var e = await Assert.ThrowsAsync<ExperimentRejectedException>(() => experiment.Submit("experiment:\n  name: bad-config\nrollout:\n  actorz: 3\n", "bad.yaml"));
        Assert.Contains("bad.yaml:4", e.Message);
        Assert.Contains("rollout.actorz", e.Message);
        Assert.Equal(ExperimentPhase.Created, (await experiment.GetStatus()).Phase);
    }
}

/// <summary>The experiment's state is in grain storage: a new cluster on the same storage sees it as it was.</summary>
public sealed class ExperimentPersistenceTests
{
    [Fact]
    public async Task Experiment_state_survives_a_cluster_restart()
    {
        var config = TestConfigs.Small("persist");
        ExperimentStatus before;
        var first = ClusterFixture.NewCluster();
        await first.DeployAsync();
        try
        {
            var experiment = first.GrainFactory.GetGrain<IExperimentGrain>(config.Experiment.Name);
            await experiment.Submit(TestConfigs.Yaml(config), "persist.yaml");
            await TestConfigs.WaitUntil(async () => (await experiment.GetStatus()).Phase == ExperimentPhase.Done, "the experiment ends");
            // The learner takes in (and learns from) what is still in flight before the state is compared.
            await first.GrainFactory.GetGrain<ILearnerGrain>(config.Experiment.Name).Drain((await experiment.GetStatus()).ChunksPublished, TimeSpan.FromSeconds(20));
            await experiment.Steer("explore");
            before = await experiment.GetStatus();
        }
        finally
        {
            await first.StopAllSilosAsync();
            await first.DisposeAsync();
        }

        var second = ClusterFixture.NewCluster();
        await second.DeployAsync();
        try
        {
            var after = await second.GrainFactory.GetGrain<IExperimentGrain>(config.Experiment.Name).GetStatus();
            Assert.Equal(ExperimentPhase.Done, after.Phase);
            Assert.Equal(before.PolicyVersion, after.PolicyVersion);
            Assert.True(after.PolicyVersion >= 1);
            Assert.Equal(before.EnvSteps, after.EnvSteps);
            Assert.Equal(before.Episodes, after.Episodes);
            Assert.Equal(before.ChunksPublished, after.ChunksPublished);
            Assert.Equal("explore", after.SteeringPlan);
            Assert.Equal(config.Rollout.Actors, after.Actors);
            Assert.Equal(TestConfigs.Yaml(config), await second.GrainFactory.GetGrain<IExperimentGrain>(config.Experiment.Name).GetConfigYaml());
        }
        finally
        {
            await second.StopAllSilosAsync();
            await second.DisposeAsync();
        }
    }
}

public sealed class ConfigFileTests
{
    private static string Repo([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    [Theory]
    [InlineData("configs/quick.yaml")]
    [InlineData("configs/default.yaml")]
    public void The_shipped_configs_load(string file)
    {
        var config = ConfigLoader.Load(Path.Combine(Repo(), file));
        Assert.Empty(config.Validate());
        Assert.Equal("model", config.Rollout.Policy);
    }

    [Fact]
    public void A_config_round_trips_through_yaml()
    {
        var config = TestConfigs.Small("roundtrip");
        var again = ConfigLoader.Parse(ConfigLoader.ToYaml(config));
        Assert.Equal(ConfigLoader.ToYaml(config), ConfigLoader.ToYaml(again));
    }

    [Theory]
    [InlineData("inference:\n  max_batch: 0\n", "inference.max_batch: must be in 1..65536")]
    [InlineData("model:\n  heads: 3\n", "model.heads: must be positive and divide model.d_model")]
    [InlineData("model:\n  positions: absolute\n", "model.positions: must be rotary or learned")]
    [InlineData("model:\n  d_model: 12\n  heads: 4\n", "model.positions: rotary positions need an even head width")]
    [InlineData("learner:\n  lag_mode: sometimes\n", "learner.lag_mode: must be 'drop' or 'downweight'")]
    [InlineData("envv:\n  area: 3\n", "unknown field 'envv'")]
    [InlineData("env: 5\n", "'env' must be a mapping of fields")]
    [InlineData("ppo:\n  gamma: [1, 2]\n", "'ppo.gamma' must be a number, not a list or mapping")]
    public void Bad_values_name_the_field(string yaml, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "x.yaml"));
        Assert.Contains("x.yaml", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
