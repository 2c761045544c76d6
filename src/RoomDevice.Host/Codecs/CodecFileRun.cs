using System.Globalization;
using RoomDevice.Audio.Wav;
using RoomDevice.Codecs;
using RoomDevice.Codecs.Opus;

namespace RoomDevice.Host.Codecs;

/// <summary>Raised for a codec run that cannot start; the message names the argument or file and what is accepted.</summary>
internal sealed class CodecRunException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What <c>roomdevice audio codec</c> was asked to do.</summary>
internal sealed record CodecRunRequest(
    string InputPath,
    string OutputPath,
    string Profile,
    int? Bitrate,
    double LossPercent,
    bool Fec,
    int Seed,
    bool Dtx = false);

/// <summary>Counts and averages per Opus mode.</summary>
internal sealed record ModeFigures(OpusMode Mode, int Packets, double AverageBytes);

/// <summary>What a codec run measured.</summary>
internal sealed record CodecRunReport(
    int SampleRate,
    int Bitrate,
    int Packets,
    IReadOnlyList<ModeFigures> Modes,
    int Lost,
    int RecoveredByFec,
    int Concealed,
    int DelaySamples,
    double SnrDb,
    double LostFramesSnrDb);

/// <summary>
/// Encodes a WAV file through the real Opus encoder, drops packets at random (seeded), decodes with
/// FEC where the next packet arrived and concealment otherwise, and writes and measures the result.
/// </summary>
internal static class CodecFileRun
{
    /// <summary>Checks the request; throws <see cref="CodecRunException"/> naming what is wrong.</summary>
    public static OpusEncoderSettings Settings(CodecRunRequest request)
    {
        CodecProfile profile = request.Profile.ToUpperInvariant() switch
        {
            "VOICE" => CodecProfile.Voice,
            "MEETING" => CodecProfile.Meeting,
            _ => throw new CodecRunException($"--profile '{request.Profile}' is unknown; accepted: voice, meeting"),
        };
        if (double.IsNaN(request.LossPercent) || request.LossPercent is < 0 or > 100)
        {
            throw new CodecRunException(Text($"--loss {request.LossPercent} is out of range; accepted: 0..100 (percent of packets lost)"));
        }
        OpusEncoderSettings settings = OpusEncoderSettings.ForProfile(profile);
        (int min, int max) = OpusEncoderSettings.BitrateRange(profile);
        if (request.Bitrate is int b && (b < min || b > max))
        {
            throw new CodecRunException(Text($"--bitrate {b} is out of range for the {request.Profile.ToLowerInvariant()} profile; accepted: {min}..{max} bit/s"));
        }
        return settings with
        {
            Bitrate = request.Bitrate ?? settings.Bitrate,
            InbandFec = request.Fec,
            Dtx = request.Dtx,
            ExpectedLossPercent = (int)Math.Ceiling(request.LossPercent),
        };
    }

    /// <summary>Reads the input as mono at <paramref name="rate"/>.</summary>
    public static float[] ReadMono(string path, int rate, out WavFile original)
    {
        if (!File.Exists(path))
        {
            throw new CodecRunException($"--in {path}: file not found; accepted: a PCM 16-bit or float 32-bit WAV file");
        }
        try
        {
            original = WavFile.Read(path);
        }
        catch (WavFormatException e)
        {
            throw new CodecRunException($"--in {e.Message}", e);
        }
        if (original.Frames == 0)
        {
            throw new CodecRunException($"--in {path}: the WAV file holds no samples; accepted: a WAV file with audio");
        }
        var mono = new float[original.Frames];
        float[] s = original.Samples;
        int channels = original.Channels;
        for (int i = 0; i < mono.Length; i++)
        {
            float sum = 0;
            for (int c = 0; c < channels; c++)
            {
                sum += s[(i * channels) + c];
            }
            mono[i] = sum / channels;
        }
        return original.SampleRate == rate ? mono : OfflineResampler.Resample(mono, original.SampleRate, rate);
    }

    /// <summary>Runs the request and writes the decoded audio; <paramref name="log"/> gets the figures.</summary>
    public static CodecRunReport Run(CodecRunRequest request, TextWriter log)
    {
        OpusEncoderSettings settings = Settings(request);
        string? outDir = Path.GetDirectoryName(Path.GetFullPath(request.OutputPath));
        if (outDir is null || !Directory.Exists(outDir))
        {
            throw new CodecRunException($"--out {request.OutputPath}: folder {outDir} does not exist; accepted: a path in an existing folder");
        }
        float[] input = ReadMono(request.InputPath, settings.SampleRate, out WavFile original);
        log.WriteLine(Text($"input    {request.InputPath}: {original.SampleRate} Hz, {original.Channels} ch, {original.Duration.TotalSeconds:F2} s -> mono {settings.SampleRate} Hz"));
        log.WriteLine(Text($"codec    opus {settings.Profile.ToString().ToLowerInvariant()}, {settings.Bitrate} bit/s, {settings.FrameMs} ms frames, FEC {(settings.InbandFec ? "on" : "off")}, DTX {(settings.Dtx ? "on" : "off")}, loss {request.LossPercent} % (seed {request.Seed})"));

        using var encoder = new OpusVoiceEncoder(settings);
        using var decoder = new OpusVoiceDecoder(settings.SampleRate);
        int frame = encoder.FrameSamples;
        int delay = encoder.LookaheadSamples;
        // Pad with the codec delay so the last input sample comes out, then to whole frames.
        int frames = (input.Length + delay + frame - 1) / frame;
        var padded = new float[frames * frame];
        input.CopyTo(padded, 0);

        var packets = new byte[frames][];
        var buffer = new byte[OpusVoiceEncoder.MaxPacketBytes];
        for (int i = 0; i < frames; i++)
        {
            int n = encoder.Encode(padded.AsSpan(i * frame, frame), buffer);
            packets[i] = buffer.AsSpan(0, n).ToArray();
        }

        var random = new Random(request.Seed);
        var lost = new bool[frames];
        for (int i = 0; i < frames; i++)
        {
            lost[i] = random.NextDouble() * 100 < request.LossPercent;
        }

        var decoded = new float[frames * frame];
        int lostCount = 0, recovered = 0, concealed = 0;
        for (int i = 0; i < frames; i++)
        {
            Span<float> pcm = decoded.AsSpan(i * frame, frame);
            if (!lost[i])
            {
                decoder.Decode(packets[i], pcm);
                continue;
            }
            lostCount++;
            if (request.Fec && i + 1 < frames && !lost[i + 1] && OpusPacket.HasFec(packets[i + 1]))
            {
                decoder.Decode(packets[i + 1], pcm, fromFec: true);
                recovered++;
            }
            else
            {
                decoder.Conceal(pcm);
                concealed++;
            }
        }

        var output = decoded.AsSpan(delay, input.Length).ToArray();
        new WavFile(settings.SampleRate, 1, output).Write(request.OutputPath);
        double snr = CodecQuality.SnrDb(input, output, 0);
        double lostSnr = LostFramesSnr(input, output, lost, frame, delay);

        var modes = new List<ModeFigures>();
        foreach (OpusMode mode in new[] { OpusMode.Silk, OpusMode.Hybrid, OpusMode.Celt })
        {
            var ofMode = packets.Where(p => p.Length > 2 && OpusPacket.Mode(p[0]) == mode).ToList();
            modes.Add(new ModeFigures(mode, ofMode.Count, ofMode.Count == 0 ? 0 : ofMode.Average(p => p.Length)));
        }
        log.WriteLine("mode     packets  avg bytes");
        foreach (ModeFigures m in modes)
        {
            string name = m.Mode switch { OpusMode.Silk => "SILK", OpusMode.Hybrid => "hybrid", _ => "CELT" };
            log.WriteLine(Text($"{name,-8} {m.Packets,7}  {(m.Packets == 0 ? "-" : m.AverageBytes.ToString("F1", CultureInfo.InvariantCulture)),9}"));
        }
        int silent = packets.Count(p => p.Length <= 2);
        if (silent > 0)
        {
            log.WriteLine(Text($"DTX      {silent} packets of at most 2 bytes (silence, nothing coded)"));
        }
        var bands = packets.Where(p => p.Length > 2).GroupBy(p => OpusPacket.Bandwidth(p[0])).OrderBy(g => g.Key)
            .Select(g => Text($"{BandName(g.Key)} {g.Count()}"));
        log.WriteLine($"band     {string.Join(", ", bands)}");
        log.WriteLine(Text($"FEC      {packets.Count(p => OpusPacket.HasFec(p))} of {frames} packets carry FEC data for the frame before"));
        double kbps = packets.Sum(p => p.Length) * 8.0 / (frames * settings.FrameMs);
        log.WriteLine(Text($"packets  {frames}, {kbps:F1} kbit/s on the wire"));
        log.WriteLine(Text($"lost     {lostCount} ({100.0 * lostCount / frames:F1} %), recovered by FEC {recovered}, concealed {concealed}"));
        log.WriteLine(Text($"SNR      {snr:F2} dB against the input (codec delay of {delay} samples removed)"));
        if (lostCount > 0)
        {
            log.WriteLine(Text($"SNR lost {lostSnr:F2} dB over the lost frames only"));
        }
        log.WriteLine(Text($"output   {request.OutputPath}: {settings.SampleRate} Hz mono PCM 16-bit, {output.Length} samples"));
        return new CodecRunReport(settings.SampleRate, settings.Bitrate, frames, modes, lostCount, recovered, concealed, delay, snr, lostSnr);
    }

    /// <summary>SNR over the output samples that came from lost packets (NaN when none was lost).</summary>
    private static double LostFramesSnr(float[] input, float[] output, bool[] lost, int frame, int delay)
    {
        double signal = 0, noise = 0;
        bool any = false;
        for (int i = 0; i < lost.Length; i++)
        {
            if (!lost[i])
            {
                continue;
            }
            int from = Math.Max(0, (i * frame) - delay), to = Math.Min(output.Length, ((i + 1) * frame) - delay);
            for (int n = from; n < to; n++)
            {
                signal += input[n] * input[n];
                noise += (input[n] - output[n]) * (input[n] - output[n]);
                any = true;
            }
        }
        return !any ? double.NaN : noise <= 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
    }

    private static string BandName(OpusBandwidth b) => b switch
    {
        OpusBandwidth.Narrowband => "narrowband",
        OpusBandwidth.Mediumband => "mediumband",
        OpusBandwidth.Wideband => "wideband",
        OpusBandwidth.SuperWideband => "super-wideband",
        _ => "fullband",
    };

    private static string Text(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
