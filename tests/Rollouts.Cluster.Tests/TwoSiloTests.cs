using System.Net.Sockets;
using System.Text.Json;

namespace Rollouts.Cluster.Tests;

/// <summary>
/// Two silo processes (learner + inference on one, rollout on the other) on 127.0.0.1 with Azure Table membership,
/// Blob grain state and weights on Azurite, and the console as the client: a short experiment runs across both.
/// Needs Azurite on 127.0.0.1:10000-10002 (deploy/ci/azurite.sh start); ROLLOUTS_SKIP_AZURITE=1 skips the test.
/// </summary>
public sealed class TwoSiloTests
{
    private const string DevelopmentStorage =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;" +
        "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

    private static string? AzuriteProblem()
    {
        foreach (int port in new[] { 10000, 10001, 10002 })
        {
            try
            {
                using var client = new TcpClient();
                if (!client.ConnectAsync("127.0.0.1", port).Wait(TimeSpan.FromSeconds(3))) return $"127.0.0.1:{port} did not answer";
            }
            catch (Exception e) { return $"127.0.0.1:{port}: {e.GetBaseException().Message}"; }
        }
        return null;
    }

    private const string Config = """
        experiment:
          name: two-silos
          seed: 3
          total_env_steps: 512
          max_minutes: 5
        env:
          length: 60
          envs_per_actor: 4
        model:
          d_model: 16
          layers: 1
          heads: 2
          context: 160
        sft:
          episodes: 1
          episode_steps: 40
          steps: 5
          batch_size: 8
        ppo:
          epochs: 1
          minibatch_size: 64
          steps_per_update: 128
        rollout:
          actors: 2
          chunk_length: 16
        inference:
          max_batch: 8
          max_wait_ms: 2
          weight_poll_ms: 200
        learner:
          max_policy_lag: 100
        """;

    [Fact]
    public async Task A_short_experiment_runs_across_two_silo_processes_with_azure_table_membership()
    {
        if (Environment.GetEnvironmentVariable("ROLLOUTS_SKIP_AZURITE") == "1") return; // opted out explicitly
        string? problem = AzuriteProblem();
        Assert.True(problem is null,
            $"Azurite is not reachable ({problem}). Start it with 'bash deploy/ci/azurite.sh start' (what .ci/run does), or set ROLLOUTS_SKIP_AZURITE=1 to skip this test.");

        string clusterId = "test-" + Guid.NewGuid().ToString("N")[..10];
        string dir = Path.Combine(Path.GetTempPath(), clusterId);
        Directory.CreateDirectory(dir);
        string config = Path.Combine(dir, "two-silos.yaml");
        await File.WriteAllTextAsync(config, Config);
        int gatewayA = Rollouts.FreePort(), gatewayB = Rollouts.FreePort();
        string[] common = ["--azure-storage", DevelopmentStorage, "--cluster-id", clusterId];

        using var a = new SiloProcess(["--role", "learner,inference", "--port", Rollouts.FreePort().ToString(), "--gateway-port", gatewayA.ToString(), .. common]);
        using var b = new SiloProcess(["--role", "rollout", "--port", Rollouts.FreePort().ToString(), "--gateway-port", gatewayB.ToString(), .. common]);
        await Task.WhenAll(a.WaitUntilUp(), b.WaitUntilUp());

        var submit = Rollouts.Run(["submit", "--config", config, .. common]);
        Assert.True(submit.Code == 0, $"submit failed: {submit.Stderr}\nsilo A:\n{a.Output}\nsilo B:\n{b.Output}");

        JsonElement status = default;
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (DateTime.UtcNow < deadline)
        {
            var s = Rollouts.Run(["status", "--experiment", "two-silos", "--json", .. common]);
            Assert.True(s.Code == 0, $"status failed: {s.Stderr}");
            status = JsonDocument.Parse(s.Stdout).RootElement;
            int phase = status.GetProperty("Phase").GetInt32();
            long published = status.GetProperty("ChunksPublished").GetInt64();
            long ingested = status.GetProperty("ChunksIngested").GetInt64();
            if (phase == 5) Assert.Fail($"the experiment failed: {status.GetProperty("Error")}\nsilo A:\n{a.Output}\nsilo B:\n{b.Output}");
            if (phase == 3 && published > 0 && ingested == published) break;
            await Task.Delay(1000);
        }
        Assert.True(status.GetProperty("Phase").GetInt32() == 3, $"the experiment did not finish: {status}\nsilo A:\n{a.Output}\nsilo B:\n{b.Output}");
        Assert.True(status.GetProperty("PpoEnvSteps").GetInt64() >= 512);
        Assert.Equal(status.GetProperty("ChunksPublished").GetInt64(), status.GetProperty("ChunksIngested").GetInt64());
        // Every env step is in exactly one chunk (2 actors x 4 envs x 16 steps per chunk).
        Assert.Equal(status.GetProperty("EnvSteps").GetInt64(), status.GetProperty("ChunksPublished").GetInt64() * 4 * 16);
        Assert.True(status.GetProperty("PolicyVersion").GetInt32() >= 1);

        // The roles placed the grains: actors ran on the rollout silo, inference and learning on the other.
        Assert.Contains("published policy version", a.Output);
        Assert.Contains("loaded policy version", a.Output);
    }
}
