using System.CommandLine;
using Rollouts.Cli;

var root = new RootCommand("Rollouts: agents that learn when to plan, on Crafter, with many rollouts in parallel.");
root.Subcommands.Add(CrafterCommands.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(TeacherCommands.Create());
ClusterCommands.AddTo(root);
return root.Parse(args).Invoke();
