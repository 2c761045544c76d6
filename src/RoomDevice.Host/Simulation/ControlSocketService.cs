using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RoomDevice.Core.Diagnostics;
using RoomDevice.Core.Room;
using RoomDevice.Hardware.Leds;
using RoomDevice.Host.Composition;

namespace RoomDevice.Host.Simulation;

/// <summary>
/// A local control socket for the simulated device (Unix domain socket <c>control.sock</c> in the
/// state folder, owner-only): one command a line, one reply a line, so scripts, tests and a second
/// terminal can press buttons and read the room.
/// </summary>
internal sealed class ControlSocketService(
    HostModuleContext context,
    SimulatedBoard board,
    RoomStateMachine room,
    LedService leds,
    DeviceEventHub events,
    ILogger<ControlSocketService> log) : BackgroundService
{
    /// <summary>File name of the socket in the state folder.</summary>
    public const string SocketName = "control.sock";

    /// <summary>Longest accepted command line.</summary>
    public const int MaxLine = 256;

    public const string Help =
        "commands: press <button> | hold <button> | double <button> | state | leds | events | identify [seconds] | help; buttons: " + SimulatedBoard.ButtonNames;

    private readonly Queue<string> _recentEvents = new();
    private readonly Lock _gate = new();

    public string SocketPath => Path.Combine(context.StateDirectory, SocketName);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using IDisposable sub = events.Subscribe(e =>
        {
            lock (_gate)
            {
                _recentEvents.Enqueue(e.Kind + (e.Data is { } d && d.TryGetValue("result", out string? r) ? "=" + r : ""));
                while (_recentEvents.Count > 20)
                {
                    _recentEvents.Dequeue();
                }
            }
        });
        string path = SocketPath;
        if (File.Exists(path))
        {
            File.Delete(path); // left over from a previous run
        }
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        listener.Listen(8);
        log.LogInformation("Control socket listening on {Path}", path);
        var clients = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Socket client = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                clients.RemoveAll(t => t.IsCompleted);
                clients.Add(ServeAsync(client, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await Task.WhenAll(clients).ConfigureAwait(false);
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken ct)
    {
        using (client)
        {
            var stream = new NetworkStream(client, ownsSocket: false);
            await using (stream.ConfigureAwait(false))
            {
                using var reader = new StreamReader(stream, Encoding.UTF8);
                var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
                await using (writer.ConfigureAwait(false))
                {
                    try
                    {
                        while (!ct.IsCancellationRequested)
                        {
                            string? line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
                            if (line is null)
                            {
                                return;
                            }
                            string reply = line.Length > MaxLine
                                ? $"error: line of {line.Length} characters is too long; accepted: at most {MaxLine}"
                                : await ExecuteCommandAsync(line, ct).ConfigureAwait(false);
                            await writer.WriteLineAsync(reply).ConfigureAwait(false);
                        }
                    }
                    catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
                    {
                        // The client went away or the device is stopping.
                    }
                }
            }
        }
    }

    /// <summary>Runs one command line and returns its one-line reply.</summary>
    internal async Task<string> ExecuteCommandAsync(string line, CancellationToken ct)
    {
        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0)
        {
            return "error: empty command; " + Help;
        }
        string verb = words[0].ToLowerInvariant();
        switch (verb)
        {
            case "press" or "hold" or "double":
                if (words.Length != 2)
                {
                    return $"error: '{verb}' needs one button; accepted: {verb} <{SimulatedBoard.ButtonNames.Replace(", ", "|", StringComparison.Ordinal)}>";
                }
                if (!board.TryPin(words[1], out int pin, out string? problem))
                {
                    return "error: " + problem;
                }
                if (verb == "double")
                {
                    await board.DoublePressAsync(pin, ct).ConfigureAwait(false);
                }
                else
                {
                    await board.PressAsync(pin, verb == "hold" ? board.LongHold : SimulatedBoard.ShortHold, ct).ConfigureAwait(false);
                }
                return $"ok {verb} {words[1].ToLowerInvariant()}";
            case "state" when words.Length == 1:
                return StateJson(room.State);
            case "leds" when words.Length == 1:
                return $"pattern={leds.Pattern} colours={string.Join(',', board.Leds().Select(c => c.ToString()))}";
            case "events" when words.Length == 1:
                lock (_gate)
                {
                    return "events " + string.Join(' ', _recentEvents);
                }
            case "identify" when words.Length <= 2:
                double seconds = 5;
                if (words.Length == 2 && (!double.TryParse(words[1], NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) || seconds is <= 0 or > 3600))
                {
                    return $"error: '{words[1]}' is not a duration; accepted: identify [seconds from 0.1 to 3600]";
                }
                leds.Identify(TimeSpan.FromSeconds(seconds));
                return string.Create(CultureInfo.InvariantCulture, $"ok identify {seconds}s");
            case "help" when words.Length == 1:
                return Help;
            case "state" or "leds" or "events" or "help" or "identify":
                return $"error: '{verb}' takes no such arguments; {Help}";
            default:
                return $"error: unknown command '{words[0]}'; {Help}";
        }
    }

    internal static string StateJson(RoomSnapshot s) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["phase"] = s.Phase switch { CallPhase.InCall => "in-call", _ => s.Phase.ToString().ToLowerInvariant() },
        ["muted"] = s.Muted,
        ["privacy"] = s.Privacy,
        ["volume"] = s.Volume,
        ["target"] = s.CallTarget,
        ["lastError"] = s.LastError,
        ["revision"] = s.Revision,
    });
}
