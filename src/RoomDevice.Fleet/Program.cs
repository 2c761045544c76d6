using System.CommandLine;

var root = new RootCommand("roomctl: find, claim, configure and command RoomDevice appliances over MQTT");
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
