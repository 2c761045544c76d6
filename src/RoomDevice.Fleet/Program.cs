using RoomDevice.Fleet;
using Spectre.Console;

return await RoomCtl.RunAsync(args, AnsiConsole.Console).ConfigureAwait(false);
