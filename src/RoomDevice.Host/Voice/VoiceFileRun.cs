using System.Globalization;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Processing;
using RoomDevice.Audio.Wav;

namespace RoomDevice.Host.Voice;

/// <summary>A mistake in what <c>roomdevice audio process</c> was given.</summary>
internal sealed class VoiceRunException(string message) : Exception(message);

/// <summary><c>roomdevice audio process</c>: the live capture chain over a microphone and a reference WAV file.</summary>
internal static class VoiceFileRun
{
    /// <summary>Sample rate the files must have.</summary>
    public const int Rate = 16000;

    /// <summary>Reads, checks, processes and writes; returns a one-line summary.</summary>
    public static string Run(string micPath, string refPath, string outPath, VoiceOptions options, TextWriter warnings)
    {
        float[] mic = ReadMono(micPath, "--mic", warnings);
        float[] reference = ReadMono(refPath, "--ref", warnings);
        if (mic.Length != reference.Length)
        {
            throw new VoiceRunException($"--mic has {mic.Length} samples but --ref has {reference.Length}; accepted: two files of the same length");
        }

        float[] output;
        double us;
        using (ICaptureProcessor p = CaptureProcessors.Create(Rate, options))
        {
            (output, us) = CaptureFileProcessor.Run(p, mic, reference);
        }

        try
        {
            new WavFile(Rate, 1, output).Write(outPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DirectoryNotFoundException)
        {
            throw new VoiceRunException($"--out {outPath}: cannot write ({e.Message})");
        }

        double inRms = Rms(mic), outRms = Rms(output);
        return string.Create(CultureInfo.InvariantCulture,
            $"processed {mic.Length / (double)Rate:F2} s with aec={options.Aec.ToString().ToLowerInvariant()} ns={(options.NoiseSuppression ? "on" : "off")} agc={(options.Agc ? "on" : "off")}: mic {Db(inRms):F1} dBFS -> out {Db(outRms):F1} dBFS, {us:F1} µs per 10 ms frame");
    }

    private static float[] ReadMono(string path, string option, TextWriter warnings)
    {
        WavFile wav;
        try
        {
            wav = WavFile.Read(path);
        }
        catch (WavFormatException e)
        {
            throw new VoiceRunException($"{option} {path}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VoiceRunException($"{option} {path}: cannot read ({e.Message})");
        }

        if (wav.SampleRate != Rate)
        {
            throw new VoiceRunException($"{option} {path}: sample rate is {wav.SampleRate} Hz; accepted: {Rate} Hz mono");
        }

        if (wav.Channels != 1)
        {
            throw new VoiceRunException($"{option} {path}: has {wav.Channels} channels; accepted: 1 (mono) at {Rate} Hz");
        }

        if (wav.Frames == 0)
        {
            throw new VoiceRunException($"{option} {path}: holds no samples; accepted: a WAV file with audio");
        }

        float[] x = wav.Channel(0);
        int bad = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (!float.IsFinite(x[i]))
            {
                x[i] = 0f;
                bad++;
            }
        }

        if (bad > 0)
        {
            warnings.WriteLine($"warning: {option} {path}: {bad} NaN/Inf samples were replaced by silence");
        }

        return x;
    }

    private static double Rms(float[] x)
    {
        double s = 0;
        foreach (float v in x)
        {
            s += (double)v * v;
        }

        return Math.Sqrt(s / Math.Max(1, x.Length));
    }

    private static double Db(double rms) => 20 * Math.Log10(Math.Max(rms, 1e-10));
}
