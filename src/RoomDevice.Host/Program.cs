using System.CommandLine;
using RoomDevice.Host.Cli;

var root = new RootCommand("RoomDevice: the meeting-room appliance host");
foreach (Command verb in CliVerbs.All())
{
    root.Subcommands.Add(verb);
}
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
