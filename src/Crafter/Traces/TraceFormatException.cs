namespace Rollouts.Crafter.Traces;

/// <summary>A trace file that cannot be read: corrupt, truncated, or of another format. The message names the file and line.</summary>
public sealed class TraceFormatException(string message, Exception? inner = null) : Exception(message, inner);
