using TorchSharp;
using static Rollouts.Policy.Tests.TestVocab;
using static TorchSharp.torch;

namespace Rollouts.Policy.Tests;

/// <summary>Several sequences in one row of the training forward pass must give what one sequence per row gives.</summary>
public sealed class PackingTests
{
    // Inputs of 3 to 12 tokens (prompt + output - 1): short ones share rows with others when packed.
    private static readonly int[][] Prompts =
    [
        Prompt(16, 17, 18, 19, 20, 21, 22, 23), Prompt(16), Prompt(17, 18), Prompt(19, 20, 21, 22, 23, 16, 17),
        Prompt(23), Prompt(20, 21, 22), Prompt(18, 19, 20, 21, 22, 23), Prompt(21),
    ];
    private static readonly int[][] Outputs =
    [
        [Plan, 9, 10, PlanEnd, Act, 13], [Act, 14], [Act, 15], [Plan, 11, PlanEnd, Act, 13],
        [Act, 13], [Plan, 12, PlanEnd, Act, 14], [Act, 14], [Plan, 9, 10, 11, PlanEnd, Act, 15],
    ];

    [Theory]
    [InlineData(PositionEncoding.Rotary)]
    [InlineData(PositionEncoding.Learned)]
    public void Packed_rows_give_the_logits_values_loss_and_gradients_of_one_sequence_per_row(PositionEncoding positions)
    {
        using var model = TinyModel(seed: 5, positions: positions);
        var (rowsLogits, rowsValues, rowsLoss, rowsGrads, rowCount) = Forward(model, pack: false);
        var (packedLogits, packedValues, packedLoss, packedGrads, packedCount) = Forward(model, pack: true);

        Assert.Equal(Prompts.Length, rowCount);
        Assert.True(packedCount < rowCount, $"packing used {packedCount} rows for {rowCount} sequences");
        Assert.Equal(rowsLogits.Length, packedLogits.Length);
        for (int i = 0; i < rowsLogits.Length; i++) Assert.Equal(rowsLogits[i], packedLogits[i], 4);
        for (int i = 0; i < rowsValues.Length; i++) Assert.Equal(rowsValues[i], packedValues[i], 4);
        Assert.Equal(rowsLoss, packedLoss, 5);
        for (int p = 0; p < rowsGrads.Length; p++)
        for (int i = 0; i < rowsGrads[p].Length; i++)
            Assert.Equal(rowsGrads[p][i], packedGrads[p][i], 4);
    }

    private static (float[] Logits, float[] Values, float Loss, float[][] Grads, int Rows) Forward(PolicyModel model, bool pack)
    {
        using var scope = NewDisposeScope();
        model.zero_grad();
        var batch = ScoringBatch.Build(model.Config, Pad, Prompts, Outputs, CPU, pack);
        var (logits, values) = batch.Run(model);
        var loss = PolicyScorer.OutputCrossEntropy(model, Pad, Prompts, Outputs, emphasis: null, pack);
        loss.backward();
        // Parameters outside the loss (the value head) have no gradient.
        var grads = model.parameters().Select(p => p.grad is { } g ? g.data<float>().ToArray() : []).ToArray();
        // Output positions past an output's end read an arbitrary position: compare the real ones only.
        var mask = batch.OutputMask.unsqueeze(-1);
        return ((logits * mask).data<float>().ToArray(), values.data<float>().ToArray(), loss.item<float>(), grads, batch.Rows);
    }

    [Fact]
    public void Packing_puts_every_sequence_whole_in_one_row_without_overlap()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 50; trial++)
        {
            var lengths = Enumerable.Range(0, rng.Next(1, 40)).Select(_ => rng.Next(1, 60)).ToArray();
            int width = lengths.Max();
            var (rows, start) = ScoringBatch.PackAnyWidth(lengths, ref width);
            Assert.True(width >= lengths.Max());
            var owner = new int[rows * width];
            Array.Fill(owner, -1);
            for (int s = 0; s < lengths.Length; s++)
            {
                int row = start[s] / width;
                Assert.True(start[s] + lengths[s] <= (row + 1) * width, $"sequence {s} crosses the end of row {row}");
                for (int j = start[s]; j < start[s] + lengths[s]; j++)
                {
                    Assert.Equal(-1, owner[j]);
                    owner[j] = s;
                }
            }
            Assert.True((long)rows * width <= (long)lengths.Length * lengths.Max(), "packing computes more positions than one sequence per row");
        }
    }

    [Fact]
    public void Sequences_of_one_length_stay_one_per_row()
    {
        int width = 20;
        var (rows, start) = ScoringBatch.PackAnyWidth([20, 20, 20, 20], ref width);
        Assert.Equal(20, width);
        Assert.Equal(4, rows);
        Assert.Equal([0, 20, 40, 60], start.Order());
    }

    [Fact]
    public void Short_sequences_share_a_row()
    {
        int width = 10;
        var (rows, start) = ScoringBatch.PackAnyWidth([10, 4, 5, 6], ref width);
        // Width 10: [10], [6, 4], [5] = 3 rows, 30 positions; width 15: [10, 5], [6, 4] = 2 rows, 30: a tie, the narrower.
        Assert.Equal(10, width);
        Assert.Equal(3, rows);
        Assert.Equal(0, start[0]);
        Assert.Equal(start[3] / width, start[1] / width);
    }
}
