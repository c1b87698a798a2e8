namespace Rollouts.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class InferenceGrainTests(ClusterFixture fixture)
{
    private static int[][] Prompts(int n, int salt) =>
        Enumerable.Range(0, n).Select(i => new[] { 1, 2, 3 + i, salt }).ToArray();

    private async Task<IInferenceGrain> NewInference(int maxBatch, int maxWaitMs, string prefix)
    {
        var config = TestConfigs.Small(prefix, c =>
        {
            c.Inference.MaxBatch = maxBatch;
            c.Inference.MaxWaitMs = maxWaitMs;
        });
        // The inference grain reads its config from the experiment (created, not started: no actors run).
        var experiment = fixture.Cluster.GrainFactory.GetGrain<IExperimentGrain>(config.Experiment.Name);
        await experiment.Create(TestConfigs.Yaml(config), "test");
        return fixture.Cluster.GrainFactory.GetGrain<IInferenceGrain>(RolloutsNames.InferenceKey(config.Experiment.Name, 0));
    }

    [Fact]
    public async Task Concurrent_requests_are_coalesced_into_one_full_batch()
    {
        // A long max wait: the batch can only start because max_batch prompts are waiting.
        var inference = await NewInference(maxBatch: 16, maxWaitMs: 10_000, "coalesce");
        var requests = Enumerable.Range(0, 8).Select(a => inference.Decide(new DecisionRequest($"actor{a}", Prompts(2, a)))).ToArray();
        var responses = await Task.WhenAll(requests);
        Assert.All(responses, r => Assert.Equal(2, r.Outputs.Length));
        Assert.All(responses, r => Assert.Equal(16, r.BatchSize));
        var stats = await inference.GetStats();
        Assert.Equal(1, stats.Batches);
        Assert.Equal(16, stats.Prompts);
        Assert.Equal(16.0, stats.MeanBatchSize);
        Assert.Equal(8.0, stats.MeanRequestsPerBatch);
    }

    [Fact]
    public async Task Batches_never_exceed_max_batch_and_each_request_gets_its_own_outputs()
    {
        var inference = await NewInference(maxBatch: 4, maxWaitMs: 10_000, "maxbatch");
        var prompts = Enumerable.Range(0, 8).Select(a => Prompts(2, a)).ToArray();
        var responses = await Task.WhenAll(prompts.Select((p, a) => inference.Decide(new DecisionRequest($"actor{a}", p))));
        var expected = new TestPolicy();
        for (int a = 0; a < prompts.Length; a++)
            Assert.Equal(expected.DecideBatch(prompts[a]).Select(o => o.Tokens), responses[a].Outputs.Select(o => o.Tokens));
        Assert.All(responses, r => Assert.True(r.BatchSize <= 4));
        var stats = await inference.GetStats();
        Assert.Equal(4, stats.Batches);
        Assert.Equal(4.0, stats.MeanBatchSize);
    }

    [Fact]
    public async Task A_lone_request_is_answered_after_max_wait()
    {
        var inference = await NewInference(maxBatch: 64, maxWaitMs: 20, "lone");
        var response = await inference.Decide(new DecisionRequest("solo", Prompts(3, 1)));
        Assert.Equal(3, response.Outputs.Length);
        Assert.Equal(3, response.BatchSize);
    }

    [Fact]
    public async Task A_newer_published_version_is_pulled_from_weight_storage()
    {
        var inference = await NewInference(maxBatch: 4, maxWaitMs: 1, "version");
        string experimentId = RolloutsNames.ExperimentOf(inference.GetPrimaryKeyString());
        var before = await inference.Decide(new DecisionRequest("a", Prompts(1, 1)));
        Assert.Equal(0, before.PolicyVersion);

        var store = new FileWeightStore(TestSiloConfigurator.WeightsDir);
        string location = await store.SaveAsync(experimentId, 3, [1, 2, 3]);
        await fixture.Cluster.GrainFactory.GetGrain<IExperimentGrain>(experimentId).PublishPolicy(new PolicyRef(3, location));

        await TestConfigs.WaitUntil(async () => (await inference.GetStats()).PolicyVersion == 3, "the inference grain loads version 3");
        var after = await inference.Decide(new DecisionRequest("a", Prompts(1, 1)));
        Assert.Equal(3, after.PolicyVersion);
        Assert.Contains(3, TestPolicy.LoadedVersions);

        // An older version is ignored.
        await inference.NotifyPolicy(new PolicyRef(2, location));
        Assert.Equal(3, (await inference.Decide(new DecisionRequest("a", Prompts(1, 1)))).PolicyVersion);
    }
}
