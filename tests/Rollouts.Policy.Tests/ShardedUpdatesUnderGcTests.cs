using static Rollouts.Policy.Tests.TestVocab;
using static TorchSharp.torch;

namespace Rollouts.Policy.Tests;

/// <summary>
/// Sharded steps while another thread forces garbage collections: TorchSharp passes a scalar argument's native handle
/// and nothing keeps the managed <see cref="TorchSharp.Scalar"/> alive through the call, so a collection started by
/// another thread can finalize (free) it mid-call. The shards must hand libtorch no temporary scalars
/// (<see cref="HeldScalars"/>; <see cref="HeldScalarsTests"/> checks the code for them).
/// </summary>
public sealed class ShardedUpdatesUnderGcTests
{
    // Wide enough that a residual add or a rotary product outlasts a young-generation collection and its finalizers,
    // which is what it takes for a freed temporary to be read.
    private static PolicyModel WideModel(long seed) =>
        new(new PolicyConfig(VocabSize, DModel: 128, Layers: 2, Heads: 4, DFf: 256, MaxContext: 160), CPU, seed);

    private static int[] LongPrompt(int salt) =>
        Prompt(Enumerable.Range(0, 120).Select(i => 16 + (i * 7 + salt) % 8).ToArray());

    private static void WithCollections(Action work)
    {
        int collections = 0;
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            // Throughout the steps: the shards, the gradient sum, clipping and the AdamW step (HeldScalarAdamW).
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(0);
                GC.WaitForPendingFinalizers();
                collections++;
            }
        }) { IsBackground = true };
        collector.Start();
        try { work(); }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
        Assert.True(collections > 100, $"only {collections} collections during the steps");
    }

    [Fact]
    public void PpoUpdatesSurviveCollectionsOnAnotherThread()
    {
        var g = Grammar();
        using var model = WideModel(seed: 4);
        using var reference = WideModel(seed: 6);
        int[][] prompts = Enumerable.Range(0, 8).Select(LongPrompt).ToArray();
        int[][] outputs =
        [
            [Plan, 9, PlanEnd, Act, 13], [Act, 15], [Plan, 10, 11, PlanEnd, Act, 14], [Act, 13],
            [Act, 14], [Act, 13], [Plan, 12, PlanEnd, Act, 15], [Act, 14],
        ];
        var batch = new PpoBatch(prompts, outputs, [-3f, -2f, -5f, -1.5f, -2.5f, -1f, -4f, -2f],
            [0.1f, -0.2f, 0.3f, 0f, 0.5f, -0.1f, 0.2f, -0.3f], [2f, -1f, 0.5f, -3f, 1f, 0.2f, -0.7f, 1.5f],
            [1.5f, -0.5f, 0.4f, -2f, 1.2f, 0f, -1f, 1f]);
        var options = new PpoOptions { UpdateEpochs = 1, MinibatchSize = 8, KlCoef = 0.1, ClipVloss = true, Temperature = 1.5 };
        using var trainer = new PpoTrainer(model, g, options, reference, shards: 2);
        WithCollections(() =>
        {
            for (int i = 0; i < 120; i++) Assert.True(float.IsFinite(trainer.Update(batch).PgLoss));
        });
    }

    [Fact]
    public void SftStepsSurviveCollectionsOnAnotherThread()
    {
        int[][] prompts = Enumerable.Range(0, 8).Select(LongPrompt).ToArray();
        int[][] outputs =
        [
            [Plan, 9, 10, PlanEnd, Act, 13], [Act, 14], [Plan, 9, PlanEnd, Act, 13], [Act, 14],
            [Act, 13], [Plan, 10, PlanEnd, Act, 14], [Act, 15], [Act, 13],
        ];
        using var model = WideModel(seed: 5);
        using var trainer = new SftTrainer(model, Pad, new OptimizerOptions(LearningRate: 1e-4), new TargetEmphasis([13, 14], 2.0), shards: 2);
        WithCollections(() =>
        {
            for (int i = 0; i < 120; i++) Assert.True(float.IsFinite(trainer.TrainStep(prompts, outputs).Loss));
        });
    }
}
