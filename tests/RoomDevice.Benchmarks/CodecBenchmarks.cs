using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using RoomDevice.Audio.Speech;
using RoomDevice.Codecs.G711;
using RoomDevice.Codecs.Interop;
using RoomDevice.Codecs.Opus;

namespace RoomDevice.Benchmarks;

/// <summary>Speech frames and packets shared by the codec benchmarks.</summary>
internal static class CodecBenchmarkMaterial
{
    /// <summary>One second of 20 ms frames; each benchmark operation runs them all and reports per frame.</summary>
    public const int Frames = 50;

    public static float[] Speech(int rate) => new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory()).Speak(
        "The weekly planning meeting starts now; please join from the small room.", "en-us", rate);
}

/// <summary>
/// A short job with enough iterations for a per-cent comparison against the native reference on
/// a shared machine, and the memory diagnoser for bytes allocated per frame.
/// </summary>
internal sealed class CodecBenchmarkConfig : ManualConfig
{
    public CodecBenchmarkConfig()
    {
        AddJob(Job.ShortRun.WithWarmupCount(3).WithIterationCount(15));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median);
    }
}

/// <summary>
/// Opus encode of one 20 ms frame per profile: the product wrapper against a bare libopus call
/// loop on an identically configured encoder, in the same run.
/// </summary>
[Config(typeof(CodecBenchmarkConfig))]
public unsafe class OpusEncodeBenchmarks
{
    private OpusVoiceEncoder wrapper = null!;
    private OpusVoiceEncoder reference = null!;
    private IntPtr referencePointer;
    private float[] speech = null!;
    private readonly byte[] packet = new byte[OpusVoiceEncoder.MaxPacketBytes];
    private int frame;

    [Params(CodecProfile.Voice, CodecProfile.Meeting)]
    public CodecProfile Profile { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        OpusEncoderSettings settings = OpusEncoderSettings.ForProfile(Profile) with { ExpectedLossPercent = 10 };
        wrapper = new OpusVoiceEncoder(settings);
        reference = new OpusVoiceEncoder(settings);
        referencePointer = reference.DangerousNativePointer;
        frame = settings.FrameSamples;
        speech = CodecBenchmarkMaterial.Speech(settings.SampleRate)[..(frame * CodecBenchmarkMaterial.Frames)];
        // Both encoders have seen the same history before measuring starts.
        WrapperEncode();
        NativeEncode();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        wrapper.Dispose();
        reference.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = CodecBenchmarkMaterial.Frames, Description = "native opus_encode_float")]
    public int NativeEncode()
    {
        int bytes = 0;
        fixed (float* s = speech)
        fixed (byte* d = packet)
        {
            for (int i = 0; i < CodecBenchmarkMaterial.Frames; i++)
            {
                bytes += OpusNative.opus_encode_float_raw(referencePointer, s + (i * frame), frame, d, packet.Length);
            }
        }
        return bytes;
    }

    [Benchmark(OperationsPerInvoke = CodecBenchmarkMaterial.Frames, Description = "OpusVoiceEncoder.Encode")]
    public int WrapperEncode()
    {
        int bytes = 0;
        for (int i = 0; i < CodecBenchmarkMaterial.Frames; i++)
        {
            bytes += wrapper.Encode(speech.AsSpan(i * frame, frame), packet);
        }
        return bytes;
    }
}

/// <summary>
/// Opus decode of one 20 ms packet per profile: the product wrapper against a bare libopus call
/// loop, in the same run.
/// </summary>
[Config(typeof(CodecBenchmarkConfig))]
public unsafe class OpusDecodeBenchmarks
{
    private OpusVoiceDecoder wrapper = null!;
    private OpusVoiceDecoder reference = null!;
    private IntPtr referencePointer;
    private byte[][] packets = null!;
    private float[] pcm = null!;

    [Params(CodecProfile.Voice, CodecProfile.Meeting)]
    public CodecProfile Profile { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        OpusEncoderSettings settings = OpusEncoderSettings.ForProfile(Profile) with { ExpectedLossPercent = 10 };
        using var encoder = new OpusVoiceEncoder(settings);
        int frame = settings.FrameSamples;
        float[] speech = CodecBenchmarkMaterial.Speech(settings.SampleRate);
        var buffer = new byte[OpusVoiceEncoder.MaxPacketBytes];
        packets = new byte[CodecBenchmarkMaterial.Frames][];
        for (int i = 0; i < packets.Length; i++)
        {
            int n = encoder.Encode(speech.AsSpan(i * frame, frame), buffer);
            packets[i] = buffer[..n];
        }
        pcm = new float[frame];
        wrapper = new OpusVoiceDecoder(settings.SampleRate);
        reference = new OpusVoiceDecoder(settings.SampleRate);
        referencePointer = reference.DangerousNativePointer;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        wrapper.Dispose();
        reference.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = CodecBenchmarkMaterial.Frames, Description = "native opus_decode_float")]
    public int NativeDecode()
    {
        int samples = 0;
        fixed (float* o = pcm)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                byte[] p = packets[i];
                fixed (byte* d = p)
                {
                    samples += OpusNative.opus_decode_float_raw(referencePointer, d, p.Length, o, pcm.Length, 0);
                }
            }
        }
        return samples;
    }

    [Benchmark(OperationsPerInvoke = CodecBenchmarkMaterial.Frames, Description = "OpusVoiceDecoder.Decode")]
    public int WrapperDecode()
    {
        int samples = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            samples += wrapper.Decode(packets[i], pcm);
        }
        return samples;
    }

    /// <summary>Every other packet is decoded through its FEC data, standing in for a lost predecessor.</summary>
    [Benchmark(OperationsPerInvoke = CodecBenchmarkMaterial.Frames, Description = "Decode, every other frame from FEC")]
    public int WrapperDecodeWithFec()
    {
        int samples = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            samples += wrapper.Decode(packets[i], pcm, fromFec: (i & 1) == 0);
        }
        return samples;
    }

    /// <summary>Every other frame lost and concealed.</summary>
    [Benchmark(OperationsPerInvoke = CodecBenchmarkMaterial.Frames, Description = "Decode, every other frame concealed")]
    public int WrapperDecodeWithPlc()
    {
        int samples = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            samples += (i & 1) == 0 ? wrapper.Conceal(pcm) : wrapper.Decode(packets[i], pcm);
        }
        return samples;
    }
}

/// <summary>G.711 encode and decode of one 20 ms frame (160 samples); managed tables only.</summary>
[Config(typeof(CodecBenchmarkConfig))]
public class G711Benchmarks
{
    private readonly float[] pcm = new float[G711Encoder.Samples20Ms];
    private readonly byte[] packet = new byte[G711Encoder.Samples20Ms];
    private G711Encoder encoder = null!;
    private G711Decoder decoder = null!;

    [Params(G711Law.MuLaw, G711Law.ALaw)]
    public G711Law Law { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        encoder = new G711Encoder(Law);
        decoder = new G711Decoder(Law);
        CodecBenchmarkMaterial.Speech(8000).AsSpan(4000, pcm.Length).CopyTo(pcm);
    }

    [Benchmark(Description = "G711Encoder.Encode")]
    public int Encode() => encoder.Encode(pcm, packet);

    [Benchmark(Description = "G711Decoder.Decode")]
    public int Decode() => decoder.Decode(packet, pcm);
}

/// <summary>
/// The wrapper's fixed cost per call, made visible by a native call that does almost nothing:
/// concealment deep into a long gap, where libopus only writes silence. The difference between
/// the two is what the wrapper adds to every encode and decode.
/// </summary>
[Config(typeof(CodecBenchmarkConfig))]
public unsafe class OpusCallOverheadBenchmarks
{
    private OpusVoiceDecoder wrapper = null!;
    private OpusVoiceDecoder reference = null!;
    private IntPtr referencePointer;
    private readonly float[] pcm = new float[320];

    [GlobalSetup]
    public void Setup()
    {
        wrapper = new OpusVoiceDecoder(16000);
        reference = new OpusVoiceDecoder(16000);
        referencePointer = reference.DangerousNativePointer;
        for (int i = 0; i < 20; i++)
        {
            wrapper.Conceal(pcm);
            reference.Conceal(pcm);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        wrapper.Dispose();
        reference.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = CodecBenchmarkMaterial.Frames, Description = "native opus_decode_float(NULL), long gap")]
    public int NativeConceal()
    {
        int samples = 0;
        fixed (float* o = pcm)
        {
            for (int i = 0; i < CodecBenchmarkMaterial.Frames; i++)
            {
                samples += OpusNative.opus_decode_float_raw(referencePointer, null, 0, o, pcm.Length, 0);
            }
        }
        return samples;
    }

    [Benchmark(OperationsPerInvoke = CodecBenchmarkMaterial.Frames, Description = "OpusVoiceDecoder.Conceal, long gap")]
    public int WrapperConceal()
    {
        int samples = 0;
        for (int i = 0; i < CodecBenchmarkMaterial.Frames; i++)
        {
            samples += wrapper.Conceal(pcm);
        }
        return samples;
    }
}
