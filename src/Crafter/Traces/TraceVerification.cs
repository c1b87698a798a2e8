namespace Rollouts.Crafter.Traces;

/// <summary>The outcome of replaying one trace file against the port.</summary>
/// <param name="Path">The trace file.</param>
/// <param name="Kind">"episode" or "worlds".</param>
/// <param name="Identical">True when every compared field matched at every step (or world).</param>
/// <param name="Checked">Steps (episode files) or worlds (world files) compared.</param>
/// <param name="FirstDifference">Where and how the port first differed, or null.</param>
/// <param name="FramesCompared">Frames whose pixel sum was compared (0 when not rendering).</param>
/// <param name="FramesIdentical">Frames whose pixel sum equals the reference's <c>obs_sum</c>.</param>
/// <param name="LargestFrameDifference">Largest absolute difference of a frame's pixel sum.</param>
public sealed record TraceVerification(
    string Path,
    string Kind,
    bool Identical,
    int Checked,
    string? FirstDifference,
    int FramesCompared = 0,
    int FramesIdentical = 0,
    long LargestFrameDifference = 0);
