using System.CommandLine;

namespace RoomDevice.Host.Cli;

/// <summary>Every verb of the <c>roomdevice</c> command; each area adds its own in its own file.</summary>
internal static class CliVerbs
{
    public static IEnumerable<Command> All()
    {
        yield break;
    }
}
