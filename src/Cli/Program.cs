using System.CommandLine;
using Rollouts.Cli;

Rollouts.Training.PolicyAgents.Register();
var root = new RootCommand("Rollouts: agents that learn when to plan, on Crafter, with many rollouts in parallel.");
root.Subcommands.Add(CrafterCommands.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(TeacherCommands.Create());
root.Subcommands.Add(TrainCommand.Create());
ClusterCommands.AddTo(root);
return root.Parse(args).Invoke();
