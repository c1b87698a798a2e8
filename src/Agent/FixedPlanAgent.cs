using Rollouts.Agent.Teaching;
using Rollouts.Crafter;

namespace Rollouts.Agent;

/// <summary>
/// Follows a person's plan (a subgoal list) with the teacher's low-level skills, one subgoal after the other (each
/// until it is done, or given up after a timeout), stepping aside only for pressing threats (a zombie next to it, drink
/// or food at 2 or less); when the list is exhausted it goes on with the teacher's own judgement. The person's plan
/// is its context plan from the first step; it generates no plan tokens itself.
/// </summary>
public sealed class FixedPlanAgent : IAgent
{
    private readonly Teacher _teacher;

    public FixedPlanAgent(IReadOnlyList<Subgoal> plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Count == 0) throw new ArgumentException("The plan is empty.", nameof(plan));
        Plan = plan;
        _teacher = new Teacher(new TeacherOptions { FixedPlan = plan, Schedule = PlanningSchedule.Never });
    }

    public FixedPlanAgent(string planText) : this(PlanParser.Parse(planText)) { }

    public IReadOnlyList<Subgoal> Plan { get; }

    public string Name => "plan";

    public AgentContext Context => _teacher.Context;

    /// <summary>How many subgoals of the plan are done (or given up).</summary>
    public int CompletedSubgoals => _teacher.FixedPlanIndex;

    public Subgoal? CurrentSubgoal => _teacher.CurrentSubgoal;

    public void Reset(CrafterEnv env) => _teacher.Reset(env);

    public AgentDecision Decide(CrafterEnv env) => _teacher.Decide(env);
}
