using Rollouts.Agent;
using Rollouts.Crafter;

namespace Rollouts.Agent.Tests;

public class VocabularyTests
{
    [Fact]
    public void Ids_are_stable_for_the_documented_blocks()
    {
        Assert.Equal(0, Vocabulary.Id("<pad>"));
        Assert.Equal(1, Vocabulary.Id("<bos>"));
        Assert.Equal(4, Vocabulary.Id("<plan>"));
        Assert.Equal(6, Vocabulary.Id("<act>"));
        Assert.Equal(7, Vocabulary.Id("<eos>"));
        Assert.False(Vocabulary.TryGetId(";", out _)); // no separators since 2026-12-08
        Assert.Equal(8, Vocabulary.ActionToken(CrafterAction.Noop));
        Assert.Equal(24, Vocabulary.ActionToken(CrafterAction.MakeIronSword));
        Assert.Equal("make_iron_sword", Vocabulary.Word(24));
        Assert.Equal(25, Vocabulary.Id("0"));
        Assert.Equal(34, Vocabulary.Id("9"));
        Assert.InRange(Vocabulary.Size, 100, 400);
    }

    [Fact]
    public void Seen_tokens_join_a_kind_and_a_direction()
    {
        Assert.Equal("water@north", Vocabulary.Word(Vocabulary.SeenToken(0, 0)));
        Assert.Equal("tree@south-west", Vocabulary.Word(Vocabulary.SeenToken(5, 6)));
        Assert.Equal("ripe_plant@south-east", Vocabulary.Word(Vocabulary.SeenToken(Vocabulary.SeenKindCount - 1, 7)));
        Assert.Equal(Vocabulary.Size - 1, Vocabulary.SeenToken(Vocabulary.SeenKindCount - 1, 7));
    }

    [Fact]
    public void Encode_then_decode_round_trips()
    {
        const string text = "<bos> <obs> health 9 see tree@north-west 2 cow@east 4 face ripe_plant </obs> <plan> collect_wood make_wood_pickaxe </plan> <act> make_wood_pickaxe";
        int[] ids = Vocabulary.Encode(text);
        Assert.Equal(text, Vocabulary.Decode(ids));
        Assert.Equal(Vocabulary.ActionToken(CrafterAction.MakeWoodPickaxe), ids[^1]);
    }

    [Fact]
    public void Encode_into_a_span_splits_on_any_whitespace()
    {
        Span<int> buffer = stackalloc int[8];
        int n = Vocabulary.Encode("  do\tnoop \n sleep ", buffer);
        Assert.Equal(3, n);
        Assert.Equal(CrafterAction.Do, Vocabulary.TokenToAction(buffer[0]));
        Assert.Equal(CrafterAction.Noop, Vocabulary.TokenToAction(buffer[1]));
        Assert.Equal(CrafterAction.Sleep, Vocabulary.TokenToAction(buffer[2]));
    }

    [Fact]
    public void Unknown_word_is_an_error_naming_it()
    {
        var e = Assert.Throws<UnknownTokenException>(() => Vocabulary.Encode("collect_wood dragon"));
        Assert.Contains("'dragon'", e.Message);
        Assert.Throws<UnknownTokenException>(() => Vocabulary.Word(Vocabulary.Size));
        Assert.Throws<UnknownTokenException>(() => Vocabulary.TokenToAction(Vocabulary.Id("wood")));
    }

    [Fact]
    public void Every_action_and_item_name_has_a_token()
    {
        for (int a = 0; a < CrafterNames.ActionCount; a++)
            Assert.Equal(Vocabulary.FirstAction + a, Vocabulary.Id(CrafterNames.Actions[a]));
        foreach (string item in CrafterNames.Items) Assert.True(Vocabulary.TryGetId(item, out _), item);
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(3, "3")]
    [InlineData(4, "4-7")]
    [InlineData(7, "4-7")]
    [InlineData(8, "8-15")]
    [InlineData(31, "16-31")]
    [InlineData(63, "32-63")]
    [InlineData(1000, "64+")]
    public void Ages_are_bucketed(int steps, string word) => Assert.Equal(word, Vocabulary.Word(Vocabulary.AgeToken(steps)));
}
