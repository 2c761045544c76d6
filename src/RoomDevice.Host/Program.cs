using System.CommandLine;
using RoomDevice.Host.Cli;

var root = new RootCommand("RoomDevice: the meeting-room appliance host");
foreach (Command verb in CliVerbs.All())
{
    root.Subcommands.Add(verb);
}
// The generic host handles SIGTERM itself (clean stop); the parser must not race it.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
return await root.Parse(args).InvokeAsync(invocation).ConfigureAwait(false);
