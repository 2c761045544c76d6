using System.CommandLine;
using RoomDevice.Audio;
using RoomDevice.Audio.Devices;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Hardware.Audio;
using RoomDevice.Host.Cli;

namespace RoomDevice.Host.Audio;

/// <summary><c>roomdevice audio devices</c> and <c>roomdevice audio loopback</c>: the ALSA PCMs and a sound check on them.</summary>
internal sealed class AudioVerbs : ICliVerbs
{
    public IEnumerable<Command> Commands()
    {
        yield return new Command("audio", "Audio engine and codecs") { DevicesCommand(), LoopbackCommand() };
    }

    private static Command DevicesCommand()
    {
        var cmd = new Command("devices", "List the ALSA PCMs (names to use for Audio:CaptureDevice and Audio:PlaybackDevice)");
        cmd.SetAction(parse =>
        {
            try
            {
                parse.InvocationConfiguration.Output.Write(SoundCheck.FormatDeviceList(AlsaDeviceList.Pcms()));
                return ExitCodes.Ok;
            }
            catch (AudioDeviceException e)
            {
                parse.InvocationConfiguration.Error.WriteLine("error: " + e.Message);
                return ExitCodes.Failure;
            }
        });
        return cmd;
    }

    private static Command LoopbackCommand()
    {
        var d = new AudioOptions();
        var capture = new Option<string>("--capture") { Description = "capture PCM, e.g. hw:CARD=seeed4micvoicec,DEV=0", Required = true, HelpName = "DEV" };
        var playback = new Option<string>("--playback") { Description = "playback PCM, e.g. plughw:CARD=Headphones", Required = true, HelpName = "DEV" };
        var channels = new Option<int>("--channels") { Description = "capture channels (1..8)", DefaultValueFactory = _ => d.CaptureChannels };
        var playbackChannels = new Option<int>("--playback-channels") { Description = "playback channels (1 or 2)", DefaultValueFactory = _ => d.PlaybackChannels };
        var mics = new Option<string?>("--mics") { Description = "microphone channels, e.g. 0,1,2,3 (default: every capture channel)" };
        var reference = new Option<int>("--reference") { Description = "hardware loopback channel used as echo reference, or -1", DefaultValueFactory = _ => -1 };
        var rate = new Option<int>("--rate") { Description = "device rate, Hz (16000 or 48000)", DefaultValueFactory = _ => d.DeviceSampleRate };
        var period = new Option<int>("--period") { Description = "ALSA period, frames", DefaultValueFactory = _ => d.PeriodFrames };
        var buffer = new Option<int>("--buffer") { Description = "ALSA buffer, frames", DefaultValueFactory = _ => d.BufferFrames };
        var seconds = new Option<double>("--seconds") { Description = "how long to run", DefaultValueFactory = _ => 10 };
        var gain = new Option<double>("--gain") { Description = "microphone-to-loudspeaker loop gain (0..1)", DefaultValueFactory = _ => 0.5 };
        var pace = new Option<bool>("--pace") { Description = "pace the device threads to the wall clock (for ALSA's null and file plugins, which have no clock)" };
        var alsaConfig = new Option<string?>("--alsa-config") { Description = "extra ALSA configuration file with PCM definitions", HelpName = "FILE" };
        var cmd = new Command("loopback", "Sound check: run the whole audio chain from the microphones back to the loudspeaker and print levels and xruns")
        {
            capture, playback, channels, playbackChannels, mics, reference, rate, period, buffer, seconds, gain, pace, alsaConfig,
        };
        cmd.SetAction((parse, cancel) =>
        {
            TextWriter stderr = parse.InvocationConfiguration.Error;
            int ch = parse.GetValue(channels), pch = parse.GetValue(playbackChannels), r = parse.GetValue(rate);
            double secs = parse.GetValue(seconds), g = parse.GetValue(gain);
            string? problem =
                ch is < 1 or > 8 ? $"--channels {ch} is not valid; accepted: 1 to 8" :
                pch is not (1 or 2) ? $"--playback-channels {pch} is not valid; accepted: 1 or 2" :
                r is not (16000 or 48000) ? $"--rate {r} is not valid; accepted: 16000 or 48000" :
                secs is <= 0 or > 86400 ? $"--seconds {secs} is not valid; accepted: more than 0, at most 86400" :
                g is < 0 or > 1 ? $"--gain {g} is not valid; accepted: 0 to 1" :
                parse.GetValue(period) is < 32 or > 8192 ? $"--period {parse.GetValue(period)} is not valid; accepted: 32 to 8192 frames" :
                parse.GetValue(buffer) < 2 * parse.GetValue(period) ? $"--buffer {parse.GetValue(buffer)} is not valid; accepted: at least two periods ({2 * parse.GetValue(period)})" :
                null;
            ChannelMap? map = null;
            if (problem is null)
            {
                try
                {
                    string? m = parse.GetValue(mics);
                    map = m is null
                        ? new ChannelMap([.. Enumerable.Range(0, ch).Where(c => c != parse.GetValue(reference))], parse.GetValue(reference))
                        : ChannelMap.Parse(m, parse.GetValue(reference));
                    map.EnsureFits(parse.GetRequiredValue(capture), ch);
                }
                catch (Exception e) when (e is FormatException or ArgumentException or AudioDeviceException)
                {
                    problem = $"--mics/--reference: {e.Message}";
                }
            }
            if (problem is not null)
            {
                stderr.WriteLine("error: " + problem);
                return Task.FromResult(ExitCodes.Usage);
            }
            try
            {
                if (parse.GetValue(alsaConfig) is string file)
                {
                    AlsaConfiguration.AddConfigFile(file);
                }
                AlsaPcmSettings Pcm(string name, int channelCount) => new()
                {
                    Name = name, Channels = channelCount, SampleRate = r, PeriodFrames = parse.GetValue(period), BufferFrames = parse.GetValue(buffer),
                    RealtimePriority = d.RealtimePriority, PaceInRealTime = parse.GetValue(pace),
                };
                var settings = new SoundCheckSettings
                {
                    Capture = Pcm(parse.GetRequiredValue(capture), ch),
                    Playback = Pcm(parse.GetRequiredValue(playback), pch),
                    Map = map!,
                    ProcessingRate = Math.Min(16000, r),
                    Duration = TimeSpan.FromSeconds(secs),
                    LoopGain = (float)g,
                };
                SoundCheck.Run(settings, parse.InvocationConfiguration.Output, cancel);
                return Task.FromResult(ExitCodes.Ok);
            }
            catch (AudioDeviceException e)
            {
                stderr.WriteLine("error: " + e.Message);
                return Task.FromResult(ExitCodes.Failure);
            }
        });
        return cmd;
    }
}
