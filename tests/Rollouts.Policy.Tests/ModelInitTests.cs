using static Rollouts.Policy.Tests.TestVocab;

namespace Rollouts.Policy.Tests;

public sealed class ModelInitTests
{
    [Fact]
    public void OneSeedGivesOneSetOfWeightsAndTheDrawHasTheIntendedSpread()
    {
        using var a = TinyModel(seed: 3);
        using var b = TinyModel(seed: 3);
        using var c = TinyModel(seed: 4);
        var ta = a.NamedTensors();
        var tb = b.NamedTensors();
        var tc = c.NamedTensors();
        for (int i = 0; i < ta.Count; i++)
            Assert.True(ta[i].Tensor.equal(tb[i].Tensor).all().item<bool>(), $"{ta[i].Name} differs between two models of seed 3");
        var embedding = ta.Single(t => t.Name == "tok_emb.weight").Tensor;
        Assert.False(embedding.equal(tc.Single(t => t.Name == "tok_emb.weight").Tensor).all().item<bool>());
        // Weights are N(0, 0.02): the embedding's spread is near that (24 × 16 draws).
        Assert.InRange(embedding.std().item<float>(), 0.017, 0.023);
        Assert.InRange(embedding.mean().item<float>(), -0.004, 0.004);
    }
}
