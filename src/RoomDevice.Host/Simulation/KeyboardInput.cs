using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RoomDevice.Hardware.Leds;

namespace RoomDevice.Host.Simulation;

/// <summary>
/// Keys for the simulated buttons: j join, J hold join, d double join, m mute, +/- volume,
/// i identify, q quit. Only when standard input is a terminal; otherwise it does nothing, so a
/// device under CI or systemd never blocks on input.
/// </summary>
internal sealed class KeyboardInput(SimulatedBoard board, LedService leds, IHostApplicationLifetime lifetime, ILogger<KeyboardInput> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Console.IsInputRedirected)
        {
            return Task.CompletedTask;
        }
        var thread = new Thread(() => Loop(stoppingToken)) { IsBackground = true, Name = "keyboard" };
        thread.Start();
        return Task.CompletedTask;
    }

    private void Loop(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            ConsoleKeyInfo k;
            try
            {
                k = Console.ReadKey(intercept: true);
            }
            catch (InvalidOperationException)
            {
                return; // no console after all
            }
            string? button = null;
            TimeSpan hold = SimulatedBoard.ShortHold;
            bool isDouble = false;
            switch (k.KeyChar)
            {
                case 'j': button = "join"; break;
                case 'J': button = "join"; hold = board.LongHold; break;
                case 'd': button = "join"; isDouble = true; break;
                case 'm': case 'M': button = "mute"; break;
                case '+': case '=': button = "up"; break;
                case '-': case '_': button = "down"; break;
                case 'i': case 'I': leds.Identify(TimeSpan.FromSeconds(5)); break;
                case 'q': case 'Q': lifetime.StopApplication(); return;
                default: break;
            }
            if (button is null)
            {
                continue;
            }
            if (!board.TryPin(button, out int pin, out string? problem))
            {
                log.LogWarning("{Problem}", problem);
                continue;
            }
            _ = isDouble ? board.DoublePressAsync(pin, ct) : board.PressAsync(pin, hold, ct);
        }
    }
}
