namespace Rollouts.Agent.Teaching;

/// <summary>What the scripted teacher knows of the map.</summary>
public enum TeacherVision
{
    /// <summary>The whole map (full state access): the strongest player.</summary>
    Full,

    /// <summary>Only the 9×7 window the student's prompt describes; the rest is assumed free ground. Its choices can be
    /// predicted from the prompt, which makes it the teacher to imitate.</summary>
    Local,
}
