using RoomDevice.Audio.Interop.Speex;
using RoomDevice.Audio.Pipeline;
using RoomDevice.Audio.Processing;
using Xunit;

namespace RoomDevice.Audio.Tests.Processing;

public sealed class CaptureChainTests
{
    private static float[] Noise(int n, int seed, float level) => TestSignals.UniformNoise(n, seed, level);

    [Theory]
    [InlineData(16000)]
    [InlineData(48000)]
    public void Managed_chain_allocates_nothing_per_frame(int rate)
    {
        using var chain = new CaptureChain(rate, new VoiceOptions());
        int f = chain.FrameSize;
        float[] r = Noise(f * 600, 1, 0.1f);
        var outBuf = new float[f];
        for (int i = 0; i < 300; i++)
        {
            chain.AnalyzeRender(r.AsSpan(i * f, f));
            chain.ProcessCapture(r.AsSpan(i * f, f), outBuf);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 300; i < 600; i++)
        {
            chain.AnalyzeRender(r.AsSpan(i * f, f));
            chain.ProcessCapture(r.AsSpan(i * f, f), outBuf);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Speex_processor_allocates_nothing_per_frame()
    {
        using var p = new SpeexCaptureProcessor(16000, 128);
        float[] r = Noise(160 * 200, 2, 0.1f);
        var outBuf = new float[160];
        p.AnalyzeRender(r.AsSpan(0, 160));
        p.ProcessCapture(r.AsSpan(0, 160), outBuf);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 1; i < 200; i++)
        {
            p.AnalyzeRender(r.AsSpan(i * 160, 160));
            p.ProcessCapture(r.AsSpan(i * 160, 160), outBuf);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void File_processing_keeps_the_output_aligned_with_the_microphone()
    {
        using var chain = new CaptureChain(16000, new VoiceOptions { Aec = AecKind.Off, NoiseSuppression = false, Agc = false });
        Assert.InRange(chain.LatencySamples, 1, 320);
        var mic = new float[16000];
        var reference = new float[16000];
        mic[5000] = 0.5f;
        var (output, _) = CaptureFileProcessor.Run(chain, mic, reference);
        Assert.Equal(mic.Length, output.Length);
        int peak = 0;
        for (int i = 1; i < output.Length; i++)
        {
            if (Math.Abs(output[i]) > Math.Abs(output[peak]))
            {
                peak = i;
            }
        }

        Assert.Equal(5000, peak);
        Assert.Equal(0.5f, output[peak], 2);
    }

    [Fact]
    public void Wrong_frame_length_is_a_clear_error()
    {
        using var chain = new CaptureChain(16000, new VoiceOptions());
        var e = Assert.Throws<ArgumentException>(() => chain.ProcessCapture(new float[480], new float[480]));
        Assert.Contains("160 samples", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => chain.AnalyzeRender(new float[100]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CaptureChain(44100, new VoiceOptions()));
    }

    [Theory]
    [InlineData(AecKind.Managed)]
    [InlineData(AecKind.Speex)]
    public void NaN_Inf_silence_and_clipped_input_give_finite_bounded_output(AecKind kind)
    {
        using ICaptureProcessor p = CaptureProcessors.Create(16000, new VoiceOptions { Aec = kind });
        var outBuf = new float[160];
        var frame = new float[160];
        for (int n = 0; n < 500; n++)
        {
            for (int i = 0; i < 160; i++)
            {
                frame[i] = (n / 100) switch
                {
                    0 => 0f,                                             // silence
                    1 => (i % 20) < 10 ? 1f : -1f,                       // full-scale clipped square
                    2 => i % 7 == 0 ? float.NaN : 0.1f,                  // NaN samples
                    3 => i % 11 == 0 ? float.PositiveInfinity : -0.2f,   // Inf samples
                    _ => 5f * MathF.Sin(i * 0.1f),                        // beyond full scale
                };
            }

            p.AnalyzeRender(frame);
            p.ProcessCapture(frame, outBuf);
            foreach (float v in outBuf)
            {
                Assert.True(float.IsFinite(v), $"frame {n}: non-finite output");
                Assert.InRange(v, -1f, 1f);
            }
        }
    }

    [Fact]
    public void Talking_while_muted_raises_the_event_and_the_vad_drives_voice_active()
    {
        using var chain = new CaptureChain(16000, new VoiceOptions { Agc = false }) { Muted = true };
        int events = 0;
        chain.MutedTalkDetected += (_, _) => events++;
        var outBuf = new float[160];
        var silence = new float[160];
        float[] talk = Noise(160 * 300, 3, 0.2f);
        bool sawQuiet = false, sawVoice = false;
        for (int n = 0; n < 300; n++)
        {
            chain.AnalyzeRender(silence);
            // Two seconds of a faint noise floor, then a loud local talker with pauses.
            bool on = n >= 200 && (n % 50) < 40;
            var frame = on ? talk.AsSpan(n * 160, 160) : Noise(160, n, 0.001f);
            chain.ProcessCapture(frame, outBuf);
            if (n > 100 && n < 200)
            {
                sawQuiet |= !chain.VoiceActive;
            }

            if (n > 210)
            {
                sawVoice |= chain.VoiceActive;
            }
        }

        Assert.True(sawQuiet, "VAD was active on the noise floor");
        Assert.True(sawVoice, "VAD never detected the talker");
        Assert.Equal(1, events);
    }

    [Fact]
    public void Voice_options_report_bad_values_with_the_key()
    {
        var o = new VoiceOptions { TailMs = 5, MaxDelayMs = 5000 };
        var v = new RoomDevice.Core.Options.OptionsValidator("Voice", _ => "test");
        o.Validate(v);
        Assert.Contains(v.Issues, i => i.ToString()!.Contains("TailMs", StringComparison.Ordinal));
        Assert.Contains(v.Issues, i => i.ToString()!.Contains("MaxDelayMs", StringComparison.Ordinal));
    }
}
