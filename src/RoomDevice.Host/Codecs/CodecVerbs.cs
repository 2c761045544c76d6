using System.CommandLine;
using RoomDevice.Host.Cli;

namespace RoomDevice.Host.Codecs;

/// <summary><c>roomdevice audio codec</c>: a file through the real Opus codec with simulated packet loss.</summary>
internal sealed class CodecVerbs : ICliVerbs
{
    public IEnumerable<Command> Commands()
    {
        var input = new Option<string>("--in") { Description = "input WAV file (PCM 16-bit or float 32-bit, any rate and channel count)", Required = true };
        var output = new Option<string>("--out") { Description = "decoded WAV file to write (mono, at the profile's rate)", Required = true };
        var profile = new Option<string>("--profile") { Description = "voice (SILK, 16 kHz) or meeting (fullband, 48 kHz)", DefaultValueFactory = _ => "voice" };
        var bitrate = new Option<int?>("--bitrate") { Description = "bit/s: voice 16000..24000 (default 20000), meeting 16000..256000 (default 32000)" };
        var loss = new Option<double>("--loss") { Description = "percent of packets to drop at random, 0..100", DefaultValueFactory = _ => 0 };
        var fec = new Option<string>("--fec") { Description = "on or off: recover a lost packet from the FEC data of the next one", DefaultValueFactory = _ => "on" };
        var seed = new Option<int>("--seed") { Description = "seed of the random packet loss", DefaultValueFactory = _ => 1 };
        var dtx = new Option<string>("--dtx") { Description = "on or off: discontinuous transmission (near-empty packets in silence)", DefaultValueFactory = _ => "off" };

        var codec = new Command("codec", "Encode and decode a WAV file through Opus with simulated packet loss; print per-mode packet figures and the SNR")
        {
            input, output, profile, bitrate, loss, fec, seed, dtx,
        };
        codec.SetAction(parse =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output;
            TextWriter stderr = parse.InvocationConfiguration.Error;
            string fecText = parse.GetValue(fec) ?? "on";
            bool? fecOn = fecText.ToUpperInvariant() switch { "ON" => true, "OFF" => false, _ => null };
            if (fecOn is null)
            {
                stderr.WriteLine($"error: --fec '{fecText}' is not valid; accepted: on, off");
                return 2;
            }
            string dtxText = parse.GetValue(dtx) ?? "off";
            bool? dtxOn = dtxText.ToUpperInvariant() switch { "ON" => true, "OFF" => false, _ => null };
            if (dtxOn is null)
            {
                stderr.WriteLine($"error: --dtx '{dtxText}' is not valid; accepted: on, off");
                return 2;
            }
            var request = new CodecRunRequest(
                parse.GetRequiredValue(input),
                parse.GetRequiredValue(output),
                parse.GetValue(profile) ?? "voice",
                parse.GetValue(bitrate),
                parse.GetValue(loss),
                fecOn.Value,
                parse.GetValue(seed),
                dtxOn.Value);
            try
            {
                CodecFileRun.Run(request, stdout);
                return 0;
            }
            catch (CodecRunException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return 2;
            }
            catch (DllNotFoundException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return 3;
            }
        });
        yield return new Command("audio", "Audio engine and codecs") { codec };
    }
}
