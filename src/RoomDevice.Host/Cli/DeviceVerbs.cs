using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Identity;
using RoomDevice.Core.Options;
using RoomDevice.Host.Composition;
using RoomDevice.Host.Configuration;
using RoomDevice.Host.Management;
using RoomDevice.Management.Storage;

namespace RoomDevice.Host.Cli;

/// <summary>The device's own verbs: <c>run</c>, <c>config check</c>, <c>selftest</c>.</summary>
internal sealed class DeviceVerbs : ICliVerbs
{
    public IEnumerable<Command> Commands()
    {
        yield return RunCommand();
        yield return ConfigCommand();
        yield return SelftestCommand();
        yield return ClaimCodeCommand();
    }

    private sealed class CommonOptions
    {
        public Option<bool> Simulate { get; } = new("--simulate") { Description = "Use the simulated twin of every driver (buttons from keyboard and control socket, LEDs in the terminal)" };

        public Option<string?> Config { get; } = new("--config") { Description = "Folder with site.json, device.json and boards/<profile>.json (default /etc/roomdevice, else the one shipped beside the program)", HelpName = "DIR" };

        public Option<string[]> Set { get; } = new("--set") { Description = "Override one setting, e.g. --set Buttons:DebounceMs=40 (repeatable; highest layer)", HelpName = "KEY=VALUE" };

        public CommonOptions()
        {
            Set.Validators.Add(r =>
            {
                foreach (string s in r.GetValueOrDefault<string[]>() ?? [])
                {
                    try
                    {
                        DeviceConfiguration.ParseOverride(s);
                    }
                    catch (UsageException ex)
                    {
                        r.AddError(ex.Message);
                    }
                }
            });
        }

        public void AddTo(Command c, bool simulate = true)
        {
            if (simulate)
            {
                c.Options.Add(Simulate);
            }
            c.Options.Add(Config);
            c.Options.Add(Set);
        }

        public ConfigRequest Request(ParseResult r, bool simulate) =>
            new(r.GetValue(Config), simulate, r.GetValue(Set) ?? []);
    }

    private static Command RunCommand()
    {
        var o = new CommonOptions();
        var cmd = new Command("run", "Run the device until stopped (SIGTERM or Ctrl+C)");
        o.AddTo(cmd);
        cmd.SetAction(async r => await RunAsync(o.Request(r, r.GetValue(o.Simulate))).ConfigureAwait(false));
        return cmd;
    }

    private static Command ConfigCommand()
    {
        var o = new CommonOptions();
        var check = new Command("check", "Validate the configuration and print every effective value with the layer it came from");
        o.AddTo(check);
        check.SetAction(r => Load(o.Request(r, r.GetValue(o.Simulate)), out DeviceConfiguration? cfg, r.InvocationConfiguration.Error) is int code
            ? code
            : Check(cfg!, r.InvocationConfiguration.Output));
        var config = new Command("config", "Inspect the device configuration");
        config.Subcommands.Add(check);
        return config;
    }

    private static Command SelftestCommand()
    {
        var o = new CommonOptions();
        var cmd = new Command("selftest", "Probe every peripheral and native library and print a table; non-zero exit when something required is missing");
        o.AddTo(cmd);
        cmd.SetAction(r => Load(o.Request(r, r.GetValue(o.Simulate)), out DeviceConfiguration? cfg, r.InvocationConfiguration.Error) is int code
            ? code
            : Selftest(cfg!, r.InvocationConfiguration.Output));
        return cmd;
    }

    private static Command ClaimCodeCommand()
    {
        var o = new CommonOptions();
        var cmd = new Command("claim-code", "Print this device's id and claim code (for roomctl claim), or the room it is claimed into");
        o.AddTo(cmd, simulate: false);
        cmd.SetAction(r => Load(o.Request(r, false), out DeviceConfiguration? cfg, r.InvocationConfiguration.Error) is int code
            ? code
            : ClaimCode(cfg!, r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));
        return cmd;
    }

    /// <summary>
    /// What facilities staff need at the box: the device id and its claim code, read from the state
    /// folder without changing it (the code itself never leaves the device over MQTT).
    /// </summary>
    internal static int ClaimCode(DeviceConfiguration config, TextWriter output, TextWriter error)
    {
        if (!config.IsValid)
        {
            WriteRejected(config, error);
            return ExitCodes.Config;
        }
        DeviceIdentity id;
        try
        {
            id = CoreModule.ResolveIdentity(config.Evaluation.Get<IdentityOptions>());
        }
        catch (InvalidOperationException ex)
        {
            error.WriteLine("roomdevice: " + ex.Message);
            return ExitCodes.Failure;
        }
        string? claim;
        RoomAssignment? room;
        try
        {
            (claim, room) = DeviceStateStore.Peek(config.StateDirectory);
        }
        catch (UnauthorizedAccessException ex)
        {
            error.WriteLine($"roomdevice: cannot read the state folder {config.StateDirectory} ({ex.Message}); run as root or as the roomdevice user");
            return ExitCodes.Failure;
        }
        output.WriteLine($"device {id.Id} (id from {id.Source})");
        if (room is not null)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"claimed into room {room.Room}{(room.Site is null ? "" : " at " + room.Site)} on {room.ClaimedAt:yyyy-MM-dd HH:mm} UTC"));
            return ExitCodes.Ok;
        }
        if (claim is null)
        {
            error.WriteLine($"roomdevice: no claim code yet in {config.StateDirectory}: the device makes one when it first runs (systemctl start roomdevice)");
            return ExitCodes.Failure;
        }
        output.WriteLine($"unclaimed; claim code {claim}");
        output.WriteLine($"  roomctl claim --code {claim} --room \"ROOM\"");
        return ExitCodes.Ok;
    }

    /// <summary>Loads the configuration; returns an exit code when the command cannot go on.</summary>
    private static int? Load(ConfigRequest request, out DeviceConfiguration? config, TextWriter error)
    {
        config = null;
        try
        {
            config = DeviceConfiguration.Load(OptionsDiscovery.Schema(), request);
            return null;
        }
        catch (UsageException ex)
        {
            error.WriteLine("roomdevice: " + ex.Message);
            return ExitCodes.Usage;
        }
    }

    private static int Check(DeviceConfiguration config, TextWriter output)
    {
        config.WriteReport(output);
        return config.IsValid ? ExitCodes.Ok : ExitCodes.Config;
    }

    private static void WriteRejected(DeviceConfiguration config, TextWriter error)
    {
        error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"roomdevice: configuration rejected ({config.Issues.Count} problem(s)); the device does not start. Run 'roomdevice config check' for the effective values."));
        foreach (ConfigIssue i in config.Issues)
        {
            error.WriteLine("  " + DeviceConfiguration.Redact(i));
        }
    }

    internal static async Task<int> RunAsync(ConfigRequest request)
    {
        var broker = new EmbeddedBrokerKeeper();
        await using (broker.ConfigureAwait(false))
        {
            while (true)
            {
                int? exit = await RunOnceAsync(request, broker).ConfigureAwait(false);
                if (exit is int e)
                {
                    return e;
                }
                await Console.Error.WriteLineAsync("roomdevice: restarting the simulated device in this process").ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// What the run verb does once the host has stopped: null to build and run a new host (a restart
    /// in <c>--simulate</c>, where no service manager would start the process again), else the exit code.
    /// </summary>
    internal static int? AfterStop(string? restartReason, bool simulate) =>
        restartReason is null ? ExitCodes.Ok : simulate ? null : ExitCodes.Restart;

    /// <summary>Loads the configuration, runs one host until it stops; null when it asked to run again.</summary>
    private static async Task<int?> RunOnceAsync(ConfigRequest request, EmbeddedBrokerKeeper broker)
    {
        if (Load(request, out DeviceConfiguration? config, Console.Error) is int code)
        {
            return code;
        }
        if (!config!.IsValid)
        {
            WriteRejected(config, Console.Error);
            return ExitCodes.Config;
        }
        try
        {
            Directory.CreateDirectory(config.StateDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"roomdevice: cannot create the state folder {config.StateDirectory}: {ex.Message}; set Device:StateDirectory to a writable absolute path").ConfigureAwait(false);
            return ExitCodes.CannotCreate;
        }
        bool interactive = config.Simulate && !Console.IsOutputRedirected;
        using IHost host = DeviceHost.Build(config, interactive ? LogTarget.Terminal : LogTarget.Console, s => s.AddSingleton(broker));
        ILogger log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("RoomDevice.Host");
        HostRestartSignal restart = host.Services.GetRequiredService<HostRestartSignal>(); // RunAsync disposes the services
        try
        {
            await host.RunAsync().ConfigureAwait(false);
            return AfterStop(restart.Reason, config.Simulate);
        }
#pragma warning disable CA1031 // the last line of defence: say what failed, exit non-zero so systemd restarts
        catch (Exception ex)
#pragma warning restore CA1031
        {
            log.LogCritical(ex, "The device stopped on an error");
            await Console.Error.WriteLineAsync("roomdevice: stopped on an error: " + ex.Message).ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    internal static int Selftest(DeviceConfiguration config, TextWriter output)
    {
        var rows = new List<ProbeResult>();
        if (!config.IsValid)
        {
            WriteRejected(config, output);
            return ExitCodes.Config;
        }
        using (IHost host = DeviceHost.Build(config, LogTarget.Console, s => s.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning))))
        {
            foreach (IPeripheralProbe probe in host.Services.GetServices<IPeripheralProbe>())
            {
                try
                {
                    rows.Add(probe.Probe());
                }
#pragma warning disable CA1031 // a broken probe is a row of the table, not a crash of selftest
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    rows.Add(new ProbeResult(probe.GetType().Name, true, ProbeStatus.Missing, "probe failed: " + ex.Message));
                }
            }
        }
        WriteTable(rows, output);
        int missing = rows.Count(r => r.Required && r.Status == ProbeStatus.Missing);
        output.WriteLine();
        output.WriteLine(missing == 0
            ? string.Create(CultureInfo.InvariantCulture, $"selftest passed: {rows.Count} checks, {rows.Count(r => r.Status != ProbeStatus.Ok)} not fully ok")
            : string.Create(CultureInfo.InvariantCulture, $"selftest FAILED: {missing} required check(s) missing"));
        return missing == 0 ? ExitCodes.Ok : ExitCodes.Failure;
    }

    internal static void WriteTable(IReadOnlyList<ProbeResult> rows, TextWriter output)
    {
        int name = Math.Max(4, rows.Select(r => r.Name.Length).DefaultIfEmpty(4).Max());
        output.WriteLine($"{"CHECK".PadRight(name)}  REQUIRED  STATUS    DETAIL");
        foreach (ProbeResult r in rows.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            string status = r.Status switch
            {
                ProbeStatus.Ok => "ok",
                ProbeStatus.Degraded => "degraded",
                _ => "MISSING",
            };
            output.WriteLine($"{r.Name.PadRight(name)}  {(r.Required ? "yes" : "no "),-8}  {status,-8}  {r.Detail}");
        }
    }
}
