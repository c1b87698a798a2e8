using MessagePack;

namespace Rollouts.Agent.Dataset;

/// <summary>The first message of an SFT data set file.</summary>
[MessagePackObject]
public sealed class SftHeader
{
    public const string FormatName = "rollouts-sft";
    /// <summary>2 since 2026-12-08: one token per subgoal and no <c>;</c> (version 1's ids mean other words).</summary>
    public const int CurrentVersion = 2;

    [Key(0)] public string Format { get; set; } = FormatName;
    [Key(1)] public int Version { get; set; } = CurrentVersion;
    /// <summary>Vocabulary size the ids were written with (<see cref="Vocabulary.Size"/>).</summary>
    [Key(2)] public int VocabularySize { get; set; }
    /// <summary>Whether the step records are LZ4-compressed (MessagePack's Lz4BlockArray).</summary>
    [Key(3)] public bool Compressed { get; set; }
    /// <summary>The run seed the episodes were derived from.</summary>
    [Key(4)] public long Seed { get; set; }
    /// <summary>Free text: what wrote the file.</summary>
    [Key(5)] public string Source { get; set; } = "";
}

/// <summary>One step of a teacher episode: the prompt the student reads and the output it must produce.</summary>
[MessagePackObject]
public sealed class SftRecord
{
    [Key(0)] public int Episode { get; set; }
    [Key(1)] public int Step { get; set; }
    /// <summary><c>&lt;bos&gt; &lt;obs&gt; … &lt;/obs&gt;</c> (observation and context).</summary>
    [Key(2)] public int[] Prompt { get; set; } = [];
    /// <summary><c>&lt;plan&gt; … &lt;/plan&gt; &lt;act&gt; ACTION</c> or <c>&lt;act&gt; ACTION</c>.</summary>
    [Key(3)] public int[] Output { get; set; } = [];
    /// <summary>The env seed of the episode.</summary>
    [Key(4)] public long EnvSeed { get; set; }
}

/// <summary>A data set file that is not one, is truncated or corrupt; the message names the file and the record.</summary>
public sealed class SftDatasetException(string message, Exception? inner = null) : Exception(message, inner);
