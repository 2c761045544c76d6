using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RoomDevice.Core.Options;
using RoomDevice.Host.Configuration;
using RoomDevice.Host.Systemd;

namespace RoomDevice.Host.Composition;

/// <summary>How the host writes its log.</summary>
internal enum LogTarget
{
    /// <summary>Single-line console log on standard error (service, pipes, CI).</summary>
    Console,
    /// <summary>Kept in memory for the terminal renderer, which owns the screen.</summary>
    Terminal,
}

/// <summary>The composition root: builds the generic host from the loaded configuration and every host module.</summary>
internal static class DeviceHost
{
    /// <summary>Longest a clean stop may take before the host gives up on slow services (systemd allows more).</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(4);

    public static IHost Build(DeviceConfiguration config, LogTarget logTarget, Action<IServiceCollection>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "roomdevice",
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Configuration.AddInMemoryCollection(config.Evaluation.AsPairs());

        LogLevel level = (LogLevel)(int)config.Evaluation.Get<LoggingOptions>().Level;
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(level);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        var recent = new RecentLog();
        builder.Services.AddSingleton(recent);
        if (logTarget == LogTarget.Terminal)
        {
            builder.Logging.AddProvider(new RecentLogProvider(recent));
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            });
            builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }

        // Under systemd proper this adds the notify lifetime and journal-friendly log lines.
        builder.Services.AddSystemd();
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = ShutdownTimeout;
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton<HostRestartSignal>();
        foreach (var (type, instance) in config.Evaluation.Options)
        {
            builder.Services.AddSingleton(type, instance);
            builder.Services.AddSingleton(typeof(IOptions<>).MakeGenericType(type),
                Activator.CreateInstance(typeof(OptionsWrapper<>).MakeGenericType(type), instance)!);
        }
        var context = new HostModuleContext(config.Simulate, builder.Configuration, config.ConfigDirectory, config.StateDirectory)
        {
            BoundOptions = config.Evaluation.Options,
        };
        builder.Services.AddSingleton(context);
        foreach (IHostModule module in HostModules.All())
        {
            module.Register(builder.Services, context);
        }
        builder.Services.AddHostedService<ServiceManagerIntegration>();
        extra?.Invoke(builder.Services);
        return builder.Build();
    }
}
