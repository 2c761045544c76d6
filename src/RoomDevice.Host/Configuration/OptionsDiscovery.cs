using System.Reflection;
using RoomDevice.Core.Options;

namespace RoomDevice.Host.Configuration;

/// <summary>
/// Finds every options class of the device: in the RoomDevice assemblies the host references and
/// in those shipped beside it. Assemblies are loaded on purpose, because an area whose types the
/// host never touches directly would otherwise stay unloaded and its section unknown.
/// </summary>
internal static class OptionsDiscovery
{
    private static readonly Lazy<IReadOnlyList<Assembly>> Found = new(FindAssemblies);

    /// <summary>The RoomDevice assemblies of this installation.</summary>
    public static IReadOnlyList<Assembly> Assemblies => Found.Value;

    /// <summary>The schema of every options section.</summary>
    public static OptionsSchema Schema() => OptionsSchema.FromAssemblies(Assemblies);

    private static IReadOnlyList<Assembly> FindAssemblies()
    {
        var byName = new Dictionary<string, Assembly>(StringComparer.OrdinalIgnoreCase);
        var queue = new Queue<Assembly>();
        void Add(Assembly a)
        {
            string? name = a.GetName().Name;
            if (name is not null && IsDeviceAssembly(name) && byName.TryAdd(name, a))
            {
                queue.Enqueue(a);
            }
        }
        Add(typeof(OptionsDiscovery).Assembly);
        Add(typeof(IDeviceOptions).Assembly);
        string dir = Path.GetDirectoryName(typeof(OptionsDiscovery).Assembly.Location) is { Length: > 0 } d ? d : AppContext.BaseDirectory;
        foreach (string file in Directory.EnumerateFiles(dir, "RoomDevice.*.dll"))
        {
            string name = Path.GetFileNameWithoutExtension(file);
            if (IsDeviceAssembly(name) && !byName.ContainsKey(name))
            {
                try
                {
                    Add(Assembly.Load(new AssemblyName(name)));
                }
                catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    // A stray file that is not part of this build; its sections are simply unknown.
                }
            }
        }
        while (queue.Count > 0)
        {
            foreach (AssemblyName r in queue.Dequeue().GetReferencedAssemblies())
            {
                if (r.Name is not null && IsDeviceAssembly(r.Name) && !byName.ContainsKey(r.Name))
                {
                    Add(Assembly.Load(r));
                }
            }
        }
        return [.. byName.Values.OrderBy(a => a.GetName().Name, StringComparer.Ordinal)];
    }

    private static bool IsDeviceAssembly(string name) =>
        (name.Equals("roomdevice", StringComparison.OrdinalIgnoreCase) || name.StartsWith("RoomDevice.", StringComparison.OrdinalIgnoreCase))
        && !name.EndsWith(".Tests", StringComparison.OrdinalIgnoreCase)
        && !name.Equals("RoomDevice.Benchmarks", StringComparison.OrdinalIgnoreCase);
}
