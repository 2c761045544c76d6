using System.Globalization;
using System.Numerics;
using RoomDevice.Audio.Acoustics;
using RoomDevice.Core.Options;

namespace RoomDevice.Audio.Simulation;

/// <summary>The simulated room used by <c>run --simulate</c> (config section "AudioSimulation").</summary>
[ConfigSection("AudioSimulation")]
public sealed class AudioSimulationOptions : IDeviceOptions
{
    /// <summary>Room length, width, height in metres, e.g. "6,4.5,2.8".</summary>
    public string RoomSize { get; set; } = "6,4.5,2.8";

    /// <summary>Reverberation time, s.</summary>
    public double Rt60 { get; set; } = 0.4;

    /// <summary>Loudspeaker position "x,y,z" in metres.</summary>
    public string SpeakerPosition { get; set; } = "3,0.6,1";

    /// <summary>Centre of the microphone array "x,y,z".</summary>
    public string ArrayCentre { get; set; } = "3,0.75,1";

    /// <summary>Radius of the circular microphone array, m.</summary>
    public double ArrayRadius { get; set; } = 0.0457;

    /// <summary>Local talker position "x,y,z".</summary>
    public string TalkerPosition { get; set; } = "3.2,2.6,1.2";

    /// <summary>WAV file of the local talker; empty to synthesise speech with espeak-ng.</summary>
    public string LocalTalkerWav { get; set; } = "";

    /// <summary>WAV file of the far-end talker played while no call is up; empty to synthesise speech.</summary>
    public string FarEndWav { get; set; } = "";

    /// <summary>Noise at each microphone, dBFS RMS.</summary>
    public double NoiseDbfs { get; set; } = -60;

    /// <summary>Loudspeaker soft-clip level (0 for a linear loudspeaker).</summary>
    public double SpeakerClipLevel { get; set; }

    /// <summary>Loudspeaker clock offset against the microphones, ppm.</summary>
    public double ClockDriftPpm { get; set; }

    /// <summary>Impulse response length, ms.</summary>
    public int ImpulseResponseMs { get; set; } = 300;

    /// <inheritdoc />
    public void Validate(OptionsValidator v)
    {
        ArgumentNullException.ThrowIfNull(v);
        Vector3? size = TryVector(RoomSize);
        v.Check(size is { X: >= 2 and <= 50, Y: >= 2 and <= 50, Z: >= 2 and <= 20 }, nameof(RoomSize), RoomSize,
            "three numbers in metres \"length,width,height\" (2..50, 2..50, 2..20)");
        v.Range(nameof(Rt60), Rt60, 0.1, 2.0);
        foreach (var (key, value) in new[] { (nameof(SpeakerPosition), SpeakerPosition), (nameof(ArrayCentre), ArrayCentre), (nameof(TalkerPosition), TalkerPosition) })
        {
            Vector3? p = TryVector(value);
            v.Check(p is not null && size is not null && Inside(p.Value, size.Value, 0.1f), key, value,
                "a point \"x,y,z\" in metres at least 0.1 m inside the room");
        }
        v.Range(nameof(ArrayRadius), ArrayRadius, 0.005, 0.5);
        v.Range(nameof(NoiseDbfs), NoiseDbfs, -140, -10);
        v.Range(nameof(SpeakerClipLevel), SpeakerClipLevel, 0, 1);
        v.Range(nameof(ClockDriftPpm), ClockDriftPpm, -1000, 1000);
        v.Range(nameof(ImpulseResponseMs), ImpulseResponseMs, 10, 2000);
        foreach (var (key, value) in new[] { (nameof(LocalTalkerWav), LocalTalkerWav), (nameof(FarEndWav), FarEndWav) })
        {
            v.Check(string.IsNullOrEmpty(value) || File.Exists(value), key, value, "an existing WAV file, or empty for synthesised speech", "file not found");
        }
    }

    /// <summary>The room these options describe with <paramref name="microphones"/> microphones on the array circle.</summary>
    public SimulatedRoomSettings ToSettings(int microphones, float[]? talker)
    {
        Vector3 size = TryVector(RoomSize) ?? throw new FormatException($"AudioSimulation:RoomSize '{RoomSize}' is not \"length,width,height\"");
        return new SimulatedRoomSettings
        {
            Room = new ShoeboxRoom(size.X, size.Y, size.Z, (float)Rt60),
            Speaker = Parse(SpeakerPosition, nameof(SpeakerPosition)),
            Microphones = MicArrayGeometry.Circular(Parse(ArrayCentre, nameof(ArrayCentre)), (float)ArrayRadius, microphones),
            Talker = Parse(TalkerPosition, nameof(TalkerPosition)),
            TalkerSignal = talker,
            NoiseDbfs = NoiseDbfs,
            SpeakerClipLevel = SpeakerClipLevel > 0 ? (float)SpeakerClipLevel : null,
            ClockDriftPpm = ClockDriftPpm,
            ImpulseResponseMs = ImpulseResponseMs,
        };
    }

    private static Vector3 Parse(string text, string key) =>
        TryVector(text) ?? throw new FormatException($"AudioSimulation:{key} '{text}' is not \"x,y,z\" in metres");

    private static bool Inside(Vector3 p, Vector3 size, float margin) =>
        p.X >= margin && p.Y >= margin && p.Z >= margin && p.X <= size.X - margin && p.Y <= size.Y - margin && p.Z <= size.Z - margin;

    internal static Vector3? TryVector(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 3)
        {
            return null;
        }
        var v = new float[3];
        for (int i = 0; i < 3; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !float.IsFinite(v[i]))
            {
                return null;
            }
        }
        return new Vector3(v[0], v[1], v[2]);
    }
}
