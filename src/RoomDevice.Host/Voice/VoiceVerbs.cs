using System.CommandLine;
using System.Globalization;
using RoomDevice.Audio.Processing;
using RoomDevice.Audio.Scenes;
using RoomDevice.Audio.Speech;
using RoomDevice.Host.Cli;

namespace RoomDevice.Host.Voice;

/// <summary><c>roomdevice audio process</c> and <c>roomdevice audio evaluate</c>: the voice front end over files and the scene suite.</summary>
internal sealed class VoiceVerbs : ICliVerbs
{
    public IEnumerable<Command> Commands()
    {
        yield return new Command("audio", "Audio engine and codecs") { ProcessCommand(), EvaluateCommand() };
    }

    private static Command ProcessCommand()
    {
        var defaults = new VoiceOptions();
        var mic = new Option<string>("--mic") { Description = "microphone WAV file (16 kHz mono)", Required = true };
        var reference = new Option<string>("--ref") { Description = "loudspeaker reference WAV file (16 kHz mono, same length)", Required = true };
        var output = new Option<string>("--out") { Description = "processed WAV file to write (16 kHz mono 16-bit, same length, time-aligned)", Required = true };
        var aec = new Option<string>("--aec") { Description = "managed, speex or off", DefaultValueFactory = _ => defaults.Aec.ToString().ToLowerInvariant() };
        var ns = new Option<string>("--ns") { Description = "noise suppression: on or off", DefaultValueFactory = _ => defaults.NoiseSuppression ? "on" : "off" };
        var agc = new Option<string>("--agc") { Description = "automatic gain control with limiter: on or off", DefaultValueFactory = _ => defaults.Agc ? "on" : "off" };
        var cmd = new Command("process", "Run the live capture chain (echo canceller, suppressor, AGC) over a microphone and a reference WAV file")
        {
            mic, reference, output, aec, ns, agc,
        };
        cmd.SetAction(parse =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output;
            TextWriter stderr = parse.InvocationConfiguration.Error;
            string aecText = parse.GetValue(aec) ?? "managed";
            AecKind? kind = aecText.ToUpperInvariant() switch { "MANAGED" => AecKind.Managed, "SPEEX" => AecKind.Speex, "OFF" => AecKind.Off, _ => null };
            if (kind is null)
            {
                stderr.WriteLine($"error: --aec '{aecText}' is not valid; accepted: managed, speex, off");
                return ExitCodes.Usage;
            }

            bool? nsOn = OnOff(parse.GetValue(ns));
            if (nsOn is null)
            {
                stderr.WriteLine($"error: --ns '{parse.GetValue(ns)}' is not valid; accepted: on, off");
                return ExitCodes.Usage;
            }

            bool? agcOn = OnOff(parse.GetValue(agc));
            if (agcOn is null)
            {
                stderr.WriteLine($"error: --agc '{parse.GetValue(agc)}' is not valid; accepted: on, off");
                return ExitCodes.Usage;
            }

            var options = new VoiceOptions { Aec = kind.Value, NoiseSuppression = nsOn.Value, Agc = agcOn.Value };
            try
            {
                stdout.WriteLine(VoiceFileRun.Run(parse.GetRequiredValue(mic), parse.GetRequiredValue(reference), parse.GetRequiredValue(output), options, stderr));
                return ExitCodes.Ok;
            }
            catch (VoiceRunException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (DllNotFoundException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return cmd;
    }

    private static Command EvaluateCommand()
    {
        var scenes = new Option<string?>("--scenes") { Description = "folder of saved scenes to read; when absent or empty the suite is generated (and saved there if given)" };
        var report = new Option<string?>("--report") { Description = "folder for report.html and the ERLE-over-time PNG plots" };
        var seeds = new Option<int>("--seeds") { Description = "seeds per scene kind when generating, 1..10", DefaultValueFactory = _ => 2 };
        var duration = new Option<double>("--duration") { Description = "seconds per generated scene, 8..60", DefaultValueFactory = _ => 20 };
        var cmd = new Command("evaluate", "Run every echo canceller (managed, SpeexDSP 128/256 ms) over the scene suite and print ERLE, convergence, near-end attenuation, SDR and CPU per scene kind")
        {
            scenes, report, seeds, duration,
        };
        cmd.SetAction(parse =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output;
            TextWriter stderr = parse.InvocationConfiguration.Error;
            int nSeeds = parse.GetValue(seeds);
            double dur = parse.GetValue(duration);
            if (nSeeds is < 1 or > 10)
            {
                stderr.WriteLine($"error: --seeds {nSeeds} is out of range; accepted: 1..10");
                return ExitCodes.Usage;
            }

            if (dur is < 8 or > 60)
            {
                stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"error: --duration {dur} is out of range; accepted: 8..60 seconds"));
                return ExitCodes.Usage;
            }

            string? sceneDir = parse.GetValue(scenes);
            try
            {
                IReadOnlyList<Scene> suite;
                if (sceneDir != null && Directory.Exists(sceneDir) && Directory.GetDirectories(sceneDir).Any(d => File.Exists(Path.Combine(d, "scene.txt"))))
                {
                    suite = SceneStore.LoadAll(sceneDir);
                    stdout.WriteLine($"read {suite.Count} scenes from {sceneDir}");
                }
                else
                {
                    var gen = new SceneGenerator(new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory()));
                    suite = [.. SceneGenerator.StandardSuite(nSeeds, (float)dur).Select(gen.Generate)];
                    if (sceneDir != null)
                    {
                        foreach (Scene s in suite)
                        {
                            SceneStore.Save(s, sceneDir);
                        }
                    }

                    stdout.WriteLine($"generated {suite.Count} scenes{(sceneDir != null ? " into " + sceneDir : string.Empty)}");
                }

                var results = SceneEvaluation.Run(suite, line => stderr.WriteLine(line));
                stdout.Write(SceneEvaluation.Tables(results));
                string? reportDir = parse.GetValue(report);
                if (reportDir != null)
                {
                    stdout.WriteLine($"report: {SceneEvaluation.WriteReport(results, reportDir)}");
                }

                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or InvalidOperationException or RoomDevice.Audio.Wav.WavFormatException)
            {
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.Failure;
            }
            catch (DllNotFoundException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return cmd;
    }

    private static bool? OnOff(string? v) => v?.ToUpperInvariant() switch { "ON" => true, "OFF" => false, _ => null };
}
