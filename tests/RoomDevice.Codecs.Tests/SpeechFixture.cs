using RoomDevice.Audio.Speech;
using RoomDevice.Codecs.Opus;

namespace RoomDevice.Codecs.Tests;

/// <summary>Speech made once per test run by espeak-ng and sox (cached on disk), at the codec rates.</summary>
public sealed class SpeechFixture
{
    private const string Text =
        "Good morning everyone. Let us start the weekly planning meeting in the small room. " +
        "Please check that the microphone picks up your voice, and speak clearly when you join the call. " +
        "The budget review moves to Thursday afternoon, after the product demonstration.";

    public SpeechFixture()
    {
        var material = new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory());
        Speech16k = material.Speak(Text, "en-us", 16000);
        Speech48k = material.Speak(Text, "en-us", 48000);
        Speech8k = material.Speak(Text, "en-gb+f3", 8000);
    }

    public float[] Speech16k { get; }

    public float[] Speech48k { get; }

    public float[] Speech8k { get; }

    public float[] At(int rate) => rate switch { 16000 => Speech16k, 48000 => Speech48k, 8000 => Speech8k, _ => throw new ArgumentOutOfRangeException(nameof(rate)) };
}

[CollectionDefinition("speech")]
public sealed class SpeechCollection : ICollectionFixture<SpeechFixture>;

/// <summary>Runs a signal through a codec frame by frame.</summary>
internal static class CodecRun
{
    /// <summary>Encodes every whole frame of <paramref name="signal"/>; returns the packets.</summary>
    public static List<byte[]> Encode(IVoiceEncoder encoder, float[] signal)
    {
        var packets = new List<byte[]>();
        var buffer = new byte[OpusVoiceEncoder.MaxPacketBytes];
        int frame = encoder.FrameSamples;
        for (int start = 0; start + frame <= signal.Length; start += frame)
        {
            int n = encoder.Encode(signal.AsSpan(start, frame), buffer);
            packets.Add(buffer.AsSpan(0, n).ToArray());
        }
        return packets;
    }

    /// <summary>Decodes all packets into one signal.</summary>
    public static float[] Decode(IVoiceDecoder decoder, List<byte[]> packets, int frameSamples)
    {
        var output = new float[packets.Count * frameSamples];
        for (int i = 0; i < packets.Count; i++)
        {
            decoder.Decode(packets[i], output.AsSpan(i * frameSamples, frameSamples));
        }
        return output;
    }

    public static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
    }
}
