using System.CommandLine;

namespace RoomDevice.Host.Cli;

/// <summary>A group of <c>roomdevice</c> verbs from one area (run/config/selftest, audio, call …).</summary>
internal interface ICliVerbs
{
    /// <summary>
    /// The verbs this area adds to the root command. Two areas may both return a command of the same
    /// name (e.g. "audio"); their subcommands are merged under one.
    /// </summary>
    IEnumerable<Command> Commands();
}

/// <summary>Every verb of the <c>roomdevice</c> command; each area adds an <see cref="ICliVerbs"/> in its own file.</summary>
internal static class CliVerbs
{
    public static IEnumerable<Command> All()
    {
        var merged = new List<Command>();
        var byName = new Dictionary<string, Command>(StringComparer.Ordinal);
        IEnumerable<Command> found = typeof(CliVerbs).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ICliVerbs).IsAssignableFrom(t))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .SelectMany(t => ((ICliVerbs)Activator.CreateInstance(t)!).Commands());
        foreach (Command c in found)
        {
            if (byName.TryGetValue(c.Name, out Command? existing))
            {
                foreach (Command sub in c.Subcommands.ToList())
                {
                    existing.Subcommands.Add(sub);
                }
                continue;
            }
            byName[c.Name] = c;
            merged.Add(c);
        }
        return merged;
    }
}
