using TorchSharp;
using static Rollouts.Policy.Tests.TestVocab;
using static TorchSharp.torch;

namespace Rollouts.Policy.Tests;

public sealed class SftAndCheckpointTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("policy-ckpt");

    public void Dispose() => dir.Delete(recursive: true);

    private string PathOf(string name) => System.IO.Path.Combine(dir.FullName, name);

    // A toy task: observation word 16 → plan "9 11 10" then action 13; word 17 → act 14 directly.
    private static readonly int[][] Prompts = [Prompt(16, 20), Prompt(17, 21), Prompt(16, 22), Prompt(17, 23)];
    private static readonly int[][] Outputs =
    [
        [Plan, 9, 11, 10, PlanEnd, Act, 13],
        [Act, 14],
        [Plan, 9, 11, 10, PlanEnd, Act, 13],
        [Act, 14],
    ];

    [Fact]
    public void EmphasisedTargetsWeighMoreInTheLoss()
    {
        using var model = TinyModel(seed: 8);
        // Targets 13 and 14 (the actions) are 4 of the 18 output targets in the batch.
        double Loss(double w) => PolicyScorer.OutputCrossEntropy(model, Pad, Prompts, Outputs,
            w == 1 ? null : new TargetEmphasis([13, 14], w)).item<float>();
        double l1 = Loss(1), l2 = Loss(2), l5 = Loss(5);
        // L(w) = (S_other + w S_act) / (14 + 4 w): two weights fix S_other and S_act, the third is predicted.
        double sAct = l2 * 22 - l1 * 18, sOther = l1 * 18 - sAct;
        Assert.Equal((sOther + 5 * sAct) / (14 + 4 * 5), l5, 4);
        // Ignored emphasis would give exactly the same float; an untrained model's per-token losses are all near ln 24,
        // so the difference is small (~3e-4): compare it with a threshold, not by rounding (3.2081 vs 3.2078 round alike).
        Assert.True(Math.Abs(l1 - l5) > 1e-5, $"loss with weight 1: {l1}, with weight 5: {l5}");
        Assert.Throws<ArgumentException>(() => new TargetEmphasis([13], 0).Validate());
    }

    [Fact]
    public void CrossEntropyIsOnOutputTokensOnly()
    {
        using var model = TinyModel(seed: 8);
        float loss = PolicyScorer.OutputCrossEntropy(model, Pad, [Prompts[0]], [Outputs[0]]).item<float>();
        // Manual: mean over output tokens of -log_softmax(logits at the preceding position)[token].
        using var _ = no_grad();
        var seq = Prompts[0].Concat(Outputs[0]).Select(t => (long)t).ToArray();
        var logits = model.Logits(model.Hidden(tensor(seq, new long[] { 1, seq.Length }),
            arange(seq.Length, dtype: ScalarType.Int64).unsqueeze(0),
            ones(seq.Length, seq.Length, dtype: ScalarType.Bool).tril())).squeeze(0).log_softmax(-1);
        double nll = 0;
        for (int j = 0; j < Outputs[0].Length; j++)
            nll -= logits[Prompts[0].Length - 1 + j, Outputs[0][j]].item<float>();
        Assert.Equal(nll / Outputs[0].Length, loss, 1e-4);
    }

    [Fact]
    public void SftLearnsTheToyTaskAndGreedyDecodingReproducesIt()
    {
        using var model = TinyModel(seed: 2);
        using var trainer = new SftTrainer(model, Pad, new OptimizerOptions(LearningRate: 1e-2, WeightDecay: 0));
        float first = trainer.EvaluateLoss(Prompts, Outputs);
        SftStepStats? last = null;
        for (int i = 0; i < 60; i++) last = trainer.TrainStep(Prompts, Outputs);
        Assert.Equal(60, trainer.Step);
        Assert.True(last!.Loss < first / 10, $"loss {first} → {last.Loss}");
        var results = PolicyDecoder.Generate(model, Grammar(), Prompts, new DecodeOptions(Greedy: true));
        for (int i = 0; i < Prompts.Length; i++) Assert.Equal(Outputs[i], results[i].Output);
        Assert.Equal(5, results[0].PlanTokens);
        Assert.Equal(0, results[1].PlanTokens);
    }

    [Fact]
    public void CheckpointRoundTripsWeightsStepAndOptimizerAndResumesIdentically()
    {
        var path = PathOf("sft.ckpt");
        using var model = TinyModel(seed: 2);
        using var trainer = new SftTrainer(model, Pad, new OptimizerOptions(LearningRate: 1e-2));
        for (int i = 0; i < 3; i++) trainer.TrainStep(Prompts, Outputs);
        trainer.SaveCheckpoint(path, new Dictionary<string, string> { ["policy_version"] = "3" });
        var continued = trainer.TrainStep(Prompts, Outputs); // step 4 from the live trainer

        var info = PolicyCheckpoint.ReadInfo(path);
        Assert.Equal((model.Config, 3L, "sft", true), (info.Config, info.Step, info.Kind, info.HasOptimizerState));
        Assert.Equal("3", info.Metadata["policy_version"]);

        using var model2 = TinyModel(seed: 99);
        using var resumed = new SftTrainer(model2, Pad, new OptimizerOptions(LearningRate: 1e-2));
        resumed.LoadCheckpoint(path);
        Assert.Equal(3, resumed.Step);
        var again = resumed.TrainStep(Prompts, Outputs);
        Assert.Equal(4, again.Step);
        // Same weights and same AdamW moments → the same step 4.
        Assert.Equal(continued.Loss, again.Loss, 1e-5f);
        var a = model.NamedTensors();
        var b = model2.NamedTensors();
        for (int i = 0; i < a.Count; i++)
            Assert.True(a[i].Tensor.allclose(b[i].Tensor, rtol: 1e-5, atol: 1e-6), a[i].Name);
    }

    [Fact]
    public void LoadModelBuildsTheSavedShape()
    {
        var path = PathOf("m.ckpt");
        using var model = TinyModel(seed: 6, tied: false);
        PolicyCheckpoint.Save(path, model, step: 17, kind: "ppo");
        var (loaded, info) = PolicyCheckpoint.LoadModel(path, CPU);
        using (loaded)
        {
            Assert.Equal(model.Config, loaded.Config);
            Assert.Equal(17, info.Step);
            Assert.False(info.HasOptimizerState);
            var g = Grammar();
            var x = PolicyDecoder.Generate(model, g, Prompts, new DecodeOptions(Greedy: true));
            var y = PolicyDecoder.Generate(loaded, g, Prompts, new DecodeOptions(Greedy: true));
            Assert.Equal(x.Select(r => r.LogProb), y.Select(r => r.LogProb));
        }
    }

    [Fact]
    public void DifferentShapeIsRejectedWithBothShapesNamed()
    {
        var path = PathOf("shape.ckpt");
        using var model = TinyModel();
        PolicyCheckpoint.Save(path, model, 1, "sft");
        using var wider = new PolicyModel(model.Config with { DModel = 32 }, CPU);
        var before = wider.NamedTensors()[0].Tensor.clone();
        var e = Assert.Throws<CheckpointException>(() => PolicyCheckpoint.LoadInto(path, wider));
        Assert.Contains("d_model 16", e.Message);
        Assert.Contains("d_model 32", e.Message);
        Assert.Contains(path, e.Message);
        Assert.True(before.allclose(wider.NamedTensors()[0].Tensor, rtol: 0, atol: 0)); // untouched
    }

    [Fact]
    public void PositionEncodingIsPartOfTheShape()
    {
        var path = PathOf("rotary.ckpt");
        using var rotary = TinyModel(positions: PositionEncoding.Rotary);
        PolicyCheckpoint.Save(path, rotary, 1, "sft");
        Assert.Equal(PositionEncoding.Rotary, PolicyCheckpoint.ReadInfo(path).Config.Positions);
        using var learned = TinyModel(positions: PositionEncoding.Learned);
        var e = Assert.Throws<CheckpointException>(() => PolicyCheckpoint.LoadInto(path, learned));
        Assert.Contains("positions rotary", e.Message);
        Assert.Contains("positions learned", e.Message);
    }

    [Fact]
    public void VersionOneFilesLoadAsLearnedPositions()
    {
        // A version-1 file is a version-2 file without the positions field (and learned positions were all there was).
        var path = PathOf("v2.ckpt");
        using var model = TinyModel(seed: 8, positions: PositionEncoding.Learned);
        PolicyCheckpoint.Save(path, model, step: 5, kind: "sft");
        var v2 = File.ReadAllBytes(path);
        const int header = 8 + 4 + 8, positionsAt = header + 6 * 4 + 1;
        long bodyLength = BitConverter.ToInt64(v2, 12) - 4;
        var v1 = new List<byte>(v2[..8]);
        v1.AddRange(BitConverter.GetBytes(1));
        v1.AddRange(BitConverter.GetBytes(bodyLength));
        v1.AddRange(v2[header..positionsAt]);
        v1.AddRange(v2[(positionsAt + 4)..^8]);
        ulong hash = 14695981039346656037UL;
        foreach (byte b in v1.Skip(header)) { hash ^= b; hash *= 1099511628211UL; }
        v1.AddRange(BitConverter.GetBytes(hash));
        File.WriteAllBytes(PathOf("v1.ckpt"), [.. v1]);

        var (loaded, info) = PolicyCheckpoint.LoadModel(PathOf("v1.ckpt"), CPU);
        using (loaded)
        {
            Assert.Equal(model.Config, loaded.Config);
            Assert.Equal(5, info.Step);
            var a = model.NamedTensors();
            var b = loaded.NamedTensors();
            for (int i = 0; i < a.Count; i++) Assert.True(a[i].Tensor.allclose(b[i].Tensor, rtol: 0, atol: 0), a[i].Name);
        }
    }

    [Fact]
    public void TruncatedCorruptAndForeignFilesAreRejected()
    {
        var path = PathOf("good.ckpt");
        using var model = TinyModel();
        PolicyCheckpoint.Save(path, model, 1, "sft");
        var bytes = File.ReadAllBytes(path);

        File.WriteAllBytes(PathOf("trunc.ckpt"), bytes[..(bytes.Length / 2)]);
        Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => PolicyCheckpoint.LoadInto(PathOf("trunc.ckpt"), model)).Message);

        File.WriteAllBytes(PathOf("tiny.ckpt"), bytes[..10]);
        Assert.Contains("too short", Assert.Throws<CheckpointException>(() => PolicyCheckpoint.ReadInfo(PathOf("tiny.ckpt"))).Message);

        var corrupt = (byte[])bytes.Clone();
        corrupt[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(PathOf("corrupt.ckpt"), corrupt);
        Assert.Contains("checksum", Assert.Throws<CheckpointException>(() => PolicyCheckpoint.LoadInto(PathOf("corrupt.ckpt"), model)).Message);

        File.WriteAllText(PathOf("text.ckpt"), "this is not a checkpoint, it is a text file");
        Assert.Contains("bad magic", Assert.Throws<CheckpointException>(() => PolicyCheckpoint.ReadInfo(PathOf("text.ckpt"))).Message);

        Assert.Contains("cannot be read", Assert.Throws<CheckpointException>(() => PolicyCheckpoint.ReadInfo(PathOf("missing.ckpt"))).Message);
    }

    [Fact]
    public void FailedSaveLeavesTheExistingCheckpointIntact()
    {
        var path = PathOf("keep.ckpt");
        using var model = TinyModel(seed: 1);
        PolicyCheckpoint.Save(path, model, 5, "sft");
        var before = File.ReadAllBytes(path);
        using var other = TinyModel(seed: 2);
        // A null metadata value makes serialisation fail part-way.
        Assert.ThrowsAny<Exception>(() => PolicyCheckpoint.Save(path, other, 6, "sft", metadata: new Dictionary<string, string> { ["x"] = null! }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.FullName)); // no temporary file left behind
        // And a successful save replaces it.
        PolicyCheckpoint.Save(path, other, 6, "sft");
        Assert.Equal(6, PolicyCheckpoint.ReadInfo(path).Step);
        Assert.Single(Directory.GetFiles(dir.FullName));
    }
}
