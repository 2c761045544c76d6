using System.Numerics;
using RoomDevice.Audio.Acoustics;
using RoomDevice.Audio.Simulation;
using RoomDevice.Audio.Tests.Dsp;
using RoomDevice.Core.Options;
using Xunit;
using Xunit.Abstractions;

namespace RoomDevice.Audio.Tests.Simulation;

public sealed class SimulatedRoomTests(ITestOutputHelper output)
{
    private static readonly ShoeboxRoom Room = new(6f, 4.5f, 2.8f, 0.3f);

    private static float[] Noise(int n, int seed, float amp = 0.3f)
    {
        var r = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)((r.NextDouble() * 2) - 1) * amp;
        }
        return x;
    }

    [Fact]
    public void Partitioned_convolution_equals_direct_convolution()
    {
        float[] h = Noise(2000, 1, 0.1f);
        float[] x = Noise(480 * 12, 2);
        var line = new SpectralDelayLine(5);
        var kernel = new ConvolutionKernel(h);
        Assert.Equal(5, kernel.Partitions);
        var y = new float[x.Length];
        for (int b = 0; b < 12; b++)
        {
            line.Push(x.AsSpan(b * 480, 480));
            kernel.Convolve(line, y.AsSpan(b * 480, 480));
        }
        double worst = 0;
        for (int n = 0; n < x.Length; n++)
        {
            double d = 0;
            for (int k = 0; k < h.Length && k <= n; k++)
            {
                d += h[k] * x[n - k];
            }
            worst = Math.Max(worst, Math.Abs(d - y[n]));
        }
        output.WriteLine($"largest difference {worst:E2}");
        Assert.True(worst < 1e-4, $"partitioned and direct convolution differ by {worst}");
    }

    [Fact]
    public void Echo_reaches_each_microphone_after_its_true_propagation_delay()
    {
        Vector3[] mics = [new(1.0f, 2f, 1f), new(2.5f, 2f, 1f), new(4.5f, 2f, 1f)];
        var speaker = new Vector3(0.5f, 2f, 1f);
        var room = new SimulatedRoom(new SimulatedRoomSettings { Room = Room, Speaker = speaker, Microphones = mics, NoiseDbfs = null, ImpulseResponseMs = 100 });
        var frame = new float[480];
        var captured = new float[480 * 3 * 4];
        frame[0] = 1f;
        for (int f = 0; f < 4; f++)
        {
            room.Process(frame, captured.AsSpan(f * 480 * 3, 480 * 3), 3);
            frame[0] = 0f;
        }
        for (int m = 0; m < 3; m++)
        {
            // Later reflections can add up to more than the direct sound; the first arrival is the
            // first sample reaching half the direct path's 1/r amplitude, refined to its local peak.
            double direct = 1.0 / Vector3.Distance(speaker, mics[m]);
            int peak = 0;
            while (Math.Abs(captured[(peak * 3) + m]) < 0.5 * direct)
            {
                peak++;
            }
            while (Math.Abs(captured[((peak + 1) * 3) + m]) > Math.Abs(captured[(peak * 3) + m]))
            {
                peak++;
            }
            double expected = Vector3.Distance(speaker, mics[m]) / 343.0 * 48000;
            output.WriteLine($"mic {m}: peak at {peak}, direct path {expected:F1} samples");
            Assert.InRange(peak, expected - 1.5, expected + 1.5);
        }
    }

    [Fact]
    public void Each_microphone_hears_independent_noise_at_the_configured_level()
    {
        var room = new SimulatedRoom(new SimulatedRoomSettings { Room = Room, NoiseDbfs = -50, ImpulseResponseMs = 50 });
        var silent = new float[480];
        var mics = new float[480 * 4 * 50];
        for (int f = 0; f < 50; f++)
        {
            room.Process(silent, mics.AsSpan(f * 1920, 1920), 4);
        }
        float[] a = [.. Enumerable.Range(0, 24000).Select(i => mics[i * 4])];
        float[] b = [.. Enumerable.Range(0, 24000).Select(i => mics[(i * 4) + 1])];
        Assert.InRange(SignalMath.Db(SignalMath.Rms(a)), -51, -49);
        double corr = a.Zip(b, (x, y) => (double)x * y).Sum() / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(y => (double)y * y));
        Assert.InRange(corr, -0.05, 0.05);
    }

    [Fact]
    public void Microphone_zero_is_echo_plus_local_talker_and_the_parts_are_reported()
    {
        float[] talker = SignalMath.Sine(48000, 300, 48000, 0.3);
        var room = new SimulatedRoom(new SimulatedRoomSettings { Room = Room, TalkerSignal = talker, NoiseDbfs = null, ImpulseResponseMs = 100 });
        float[] far = Noise(480, 9, 0.2f);
        var mics = new float[1920];
        var echo = new float[480];
        var near = new float[480];
        for (int f = 0; f < 30; f++)
        {
            room.Process(far, mics, 4, echo, near);
        }
        for (int i = 0; i < 480; i++)
        {
            Assert.Equal(echo[i] + near[i], mics[i * 4], 5);
        }
        Assert.True(SignalMath.Rms(echo) > 1e-3);
        Assert.True(SignalMath.Rms(near) > 1e-3);
        Assert.Equal(30, room.Frames);
    }

    [Fact]
    public void A_soft_clipping_loudspeaker_adds_harmonics_a_linear_one_does_not()
    {
        double ThirdHarmonicDb(float? clip)
        {
            var room = new SimulatedRoom(new SimulatedRoomSettings { Room = Room, NoiseDbfs = null, SpeakerClipLevel = clip, ImpulseResponseMs = 60 });
            float[] tone = SignalMath.Sine(48000, 500, 480 * 60, 0.9);
            var mics = new float[1920];
            var mic0 = new List<float>();
            for (int f = 0; f < 60; f++)
            {
                room.Process(tone.AsSpan(f * 480, 480), mics, 4);
                if (f >= 20)
                {
                    for (int i = 0; i < 480; i++)
                    {
                        mic0.Add(mics[i * 4]);
                    }
                }
            }
            float[] y = [.. mic0];
            return SignalMath.Db(SignalMath.FitTone(y, 48000, 1500).Amplitude / SignalMath.FitTone(y, 48000, 500).Amplitude);
        }
        double linear = ThirdHarmonicDb(null), clipped = ThirdHarmonicDb(0.3f);
        output.WriteLine($"3rd harmonic: linear {linear:F1} dB, clipped {clipped:F1} dB");
        Assert.True(linear < -80, $"linear loudspeaker: {linear:F1} dB");
        Assert.True(clipped > -30, $"clipping loudspeaker: {clipped:F1} dB");
    }

    [Fact]
    public void Clock_drift_slides_the_loudspeaker_signal_by_the_expected_amount()
    {
        var drift = new DriftResampler(100);
        float[] x = Noise(48000 * 10, 3);
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i += 480)
        {
            drift.Process(x.AsSpan(i, 480), y.AsSpan(i, 480));
        }
        // y[n] = x[n * ratio - cushion]: the delay shrinks by 100 ppm of elapsed samples.
        int LagAt(int n)
        {
            int best = 0;
            double bestC = double.MinValue;
            for (int lag = 0; lag <= 600; lag++)
            {
                double c = 0;
                for (int i = n; i < n + 4800; i++)
                {
                    c += y[i] * x[i - lag];
                }
                if (c > bestC)
                {
                    bestC = c;
                    best = lag;
                }
            }
            return best;
        }
        int early = LagAt(4800), late = LagAt(48000 * 9);
        output.WriteLine($"lag at 0.1 s {early}, at 9 s {late}");
        Assert.InRange(early - late, 41, 45);   // 100e-6 * (9 - 0.1) s * 48000 = 42.7 samples
        Assert.InRange(early, 477, 480);       // the cushion
        Assert.Equal(0, drift.Slips);
    }

    [Fact]
    public void A_room_frame_allocates_nothing()
    {
        var room = new SimulatedRoom(new SimulatedRoomSettings
        {
            Room = Room, TalkerSignal = Noise(48000, 5), SpeakerClipLevel = 0.5f, ClockDriftPpm = 50, ImpulseResponseMs = 200,
        });
        float[] far = Noise(480, 6);
        var mics = new float[480 * 6];
        for (int i = 0; i < 20; i++)
        {
            room.Process(far, mics, 6);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 300; i++)
        {
            room.Process(far, mics, 6);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Simulation_options_report_each_bad_value_with_its_key()
    {
        var o = new AudioSimulationOptions { RoomSize = "6,4", Rt60 = 5, SpeakerPosition = "9,9,9", LocalTalkerWav = "/nonexistent/talker.wav", ClockDriftPpm = 5000 };
        var v = new OptionsValidator("AudioSimulation", _ => "test.json");
        o.Validate(v);
        string[] keys = [.. v.Issues.Select(i => i.Key)];
        Assert.Contains("AudioSimulation:RoomSize", keys);
        Assert.Contains("AudioSimulation:Rt60", keys);
        Assert.Contains("AudioSimulation:SpeakerPosition", keys);
        Assert.Contains("AudioSimulation:LocalTalkerWav", keys);
        Assert.Contains("AudioSimulation:ClockDriftPpm", keys);
        var good = new OptionsValidator("AudioSimulation", _ => "test.json");
        new AudioSimulationOptions().Validate(good);
        Assert.Empty(good.Issues);
        SimulatedRoomSettings s = new AudioSimulationOptions().ToSettings(6, null);
        Assert.Equal(6, s.Microphones.Count);
        Assert.InRange(Vector3.Distance(s.Microphones[0], s.Microphones[3]), 0.0913f, 0.0915f);   // opposite mics: one diameter
    }
}
