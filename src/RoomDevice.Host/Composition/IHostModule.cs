using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RoomDevice.Core.Options;

namespace RoomDevice.Host.Composition;

/// <summary>What every host module is told about the run it is part of.</summary>
/// <param name="Simulate">True for <c>run --simulate</c>: every driver is its simulated twin.</param>
/// <param name="Configuration">The layered, validated configuration.</param>
/// <param name="ConfigDirectory">The <c>device-config/</c> folder in use.</param>
/// <param name="StateDirectory">Writable folder for state that survives restarts (applied config, command ids, queues).</param>
internal sealed record HostModuleContext(bool Simulate, IConfiguration Configuration, string ConfigDirectory, string StateDirectory)
{
    /// <summary>Every options section, bound and validated, by options class.</summary>
    public IReadOnlyDictionary<Type, IDeviceOptions> BoundOptions { get; init; } = new Dictionary<Type, IDeviceOptions>();

    /// <summary>The bound options of one section (also registered in the container as a singleton).</summary>
    public T Options<T>() where T : class, IDeviceOptions =>
        BoundOptions.TryGetValue(typeof(T), out IDeviceOptions? o)
            ? (T)o
            : throw new InvalidOperationException($"{typeof(T).Name} is not a known options section");
}

/// <summary>
/// One area of the device (hardware, audio, calls, management) registering its services and
/// hosted services. Modules are found by reflection in this assembly, so an area adds a module in
/// its own file without touching the composition root.
/// </summary>
internal interface IHostModule
{
    /// <summary>Lower runs first; the core module is 0, areas use 100 and above.</summary>
    int Order { get; }

    /// <summary>Adds this area's services.</summary>
    void Register(IServiceCollection services, HostModuleContext context);
}

/// <summary>Finds the host modules.</summary>
internal static class HostModules
{
    /// <summary>Every <see cref="IHostModule"/> in this assembly, in <see cref="IHostModule.Order"/>.</summary>
    public static IReadOnlyList<IHostModule> All() =>
        [.. typeof(HostModules).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IHostModule).IsAssignableFrom(t))
            .Select(t => (IHostModule)Activator.CreateInstance(t)!)
            .OrderBy(m => m.Order)
            .ThenBy(m => m.GetType().Name, StringComparer.Ordinal)];
}
