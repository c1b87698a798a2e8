using static Rollouts.Policy.Tests.TestVocab;
using static TorchSharp.torch;

namespace Rollouts.Policy.Tests;

/// <summary>The AdamW that holds its scalars takes TorchSharp's AdamW steps exactly and keeps its state format.</summary>
public sealed class HeldScalarOptimizerTests
{
    private static readonly int[][] Prompts = [Prompt(16, 20), Prompt(17, 21, 22), Prompt(16, 22)];
    private static readonly int[][] Outputs = [[Plan, 9, PlanEnd, Act, 13], [Act, 14], [Act, 13]];

    private static float[] Weights(PolicyModel model) =>
        model.NamedTensors().SelectMany(t => t.Tensor.detach().cpu().data<float>().ToArray()).ToArray();

    private static byte[] State(TorchSharp.Modules.OptimizerHelper optimizer)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(w);
        return stream.ToArray();
    }

    private static void Steps(PolicyModel model, TorchSharp.Modules.OptimizerHelper optimizer, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            PolicyScorer.OutputCrossEntropy(model, Pad, Prompts, Outputs, null, pack: true, denominator: null).backward();
            optimizer.step();
        }
    }

    [Fact]
    public void StepsAndStateAreTorchSharpsAdamWs()
    {
        var options = new OptimizerOptions(LearningRate: 1e-2, WeightDecay: 0.1, Beta2: 0.95);
        using var theirsModel = TinyModel(seed: 3);
        using var oursModel = TinyModel(seed: 3);
        using var theirs = optim.AdamW(theirsModel.parameters(), options.LearningRate, options.Beta1, options.Beta2, options.Eps, options.WeightDecay);
        using var ours = options.Create(oursModel);
        Assert.IsType<HeldScalarOptimizer.AdamW>(ours);
        Steps(theirsModel, theirs, 6);
        Steps(oursModel, ours, 6);
        Assert.Equal(Weights(theirsModel), Weights(oursModel)); // bit for bit
        Assert.Equal(State(theirs), State(ours)); // byte for byte, the type's name at the start included
        using var untouched = TinyModel(seed: 3);
        Assert.NotEqual(Weights(untouched), Weights(oursModel));

        // A state saved by one loads into the other and the steps go on alike.
        using var resumed = TinyModel(seed: 3);
        resumed.CopyWeightsFrom(theirsModel);
        using var resumedOptimizer = options.Create(resumed);
        using (var r = new BinaryReader(new MemoryStream(State(theirs)))) resumedOptimizer.load_state_dict(r);
        Steps(theirsModel, theirs, 2);
        Steps(resumed, resumedOptimizer, 2);
        Assert.Equal(Weights(theirsModel), Weights(resumed));
        // ...and the other way: a checkpoint of this AdamW into TorchSharp's.
        using var back = optim.AdamW(theirsModel.parameters(), options.LearningRate, options.Beta1, options.Beta2, options.Eps, options.WeightDecay);
        using (var r = new BinaryReader(new MemoryStream(State(resumedOptimizer)))) back.load_state_dict(r);
        Assert.Equal(State(resumedOptimizer), State(back));
    }
}
