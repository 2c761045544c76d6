using System.Numerics;
using RoomDevice.Audio.Acoustics;
using RoomDevice.Audio.Speech;

namespace RoomDevice.Audio.Scenes;

/// <summary>
/// Builds the deterministic scene suite: espeak-ng speech for two talkers (different voices),
/// image-source room responses, and the impairments of each scene kind. The same spec always
/// gives the same signals.
/// </summary>
public sealed class SceneGenerator(SpeechMaterial speech)
{
    /// <summary>espeak-ng voice of the far-end talker.</summary>
    public const string FarVoice = "en-us";

    /// <summary>espeak-ng voice of the local talker.</summary>
    public const string NearVoice = "en-gb+f3";

    private static readonly string[] Sentences =
    [
        "The birch canoe slid on the smooth planks.",
        "Glue the sheet to the dark blue background.",
        "It is easy to tell the depth of a well.",
        "These days a chicken leg is a rare dish.",
        "Rice is often served in round bowls.",
        "The juice of lemons makes fine punch.",
        "The box was thrown beside the parked truck.",
        "The hogs were fed chopped corn and garbage.",
        "Four hours of steady work faced us.",
        "A large size in stockings is hard to sell.",
        "The boy was there when the sun rose.",
        "A rod is used to catch pink salmon.",
        "The source of the huge river is the clear spring.",
        "Kick the ball straight and follow through.",
        "Help the woman get back to her feet.",
        "A pot of tea helps to pass the evening.",
    ];

    private readonly Dictionary<(string, int, int), float[]> _talkCache = [];

    /// <summary>The standard suite: every scene kind, <paramref name="seeds"/> seeds each.</summary>
    public static IReadOnlyList<SceneSpec> StandardSuite(int seeds = 2, float durationSeconds = 20f, int sampleRate = 16000)
    {
        var list = new List<SceneSpec>();
        for (int s = 1; s <= seeds; s++)
        {
            foreach (float rt in new[] { 0.2f, 0.4f, 0.6f })
            {
                list.Add(new SceneSpec(SceneKind.FarEndSingleTalk, s, rt, durationSeconds, SampleRate: sampleRate));
            }

            list.Add(new SceneSpec(SceneKind.DoubleTalk, s, 0.4f, durationSeconds, SampleRate: sampleRate));
            list.Add(new SceneSpec(SceneKind.EchoPathChange, s, 0.4f, durationSeconds, SampleRate: sampleRate));
            list.Add(new SceneSpec(SceneKind.BulkDelay, s, 0.4f, durationSeconds, ExtraDelayMs: 120, SampleRate: sampleRate));
            list.Add(new SceneSpec(SceneKind.BulkDelay, s, 0.4f, durationSeconds, ExtraDelayMs: 240, SampleRate: sampleRate));
            list.Add(new SceneSpec(SceneKind.ClockDrift, s, 0.4f, durationSeconds, DriftPpm: 50, SampleRate: sampleRate));
            list.Add(new SceneSpec(SceneKind.ClockDrift, s, 0.4f, durationSeconds, DriftPpm: 100, SampleRate: sampleRate));
            list.Add(new SceneSpec(SceneKind.SoftClipping, s, 0.4f, durationSeconds, SampleRate: sampleRate));
            list.Add(new SceneSpec(SceneKind.NoiseDoubleTalk, s, 0.4f, durationSeconds, SampleRate: sampleRate));
            list.Add(new SceneSpec(SceneKind.LoudEcho, s, 0.4f, durationSeconds, SampleRate: sampleRate));
        }

        return list;
    }

    /// <summary>Generates the scene described by <paramref name="spec"/>.</summary>
    public Scene Generate(SceneSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.DurationSeconds < 4 || spec.DurationSeconds > 120)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), spec.DurationSeconds, "Scene duration must be between 4 and 120 seconds.");
        }

        int fs = spec.SampleRate;
        int n = (int)(spec.DurationSeconds * fs);
        var rng = new Random(unchecked((spec.Seed * 7919) + ((int)spec.Kind * 104729) + (int)(spec.Rt60 * 1000) + spec.ExtraDelayMs + (int)spec.DriftPpm));

        // Room and positions: a small meeting room, the device (speaker and mic close together) on a table.
        var room = new ShoeboxRoom(
            Length: 4.5f + (float)(rng.NextDouble() * 2.5),
            Width: 3.5f + (float)(rng.NextDouble() * 1.5),
            Height: 2.6f + (float)(rng.NextDouble() * 0.5),
            Rt60: spec.Rt60);
        var mic = new Vector3(room.Length * (0.3f + (0.4f * (float)rng.NextDouble())), room.Width * (0.3f + (0.4f * (float)rng.NextDouble())), 0.8f);
        float spkDist = 0.15f + (0.15f * (float)rng.NextDouble());
        double ang = rng.NextDouble() * 2 * Math.PI;
        var spk = mic + new Vector3(spkDist * (float)Math.Cos(ang), spkDist * (float)Math.Sin(ang), 0.05f);
        double angT = rng.NextDouble() * 2 * Math.PI;
        float talkDist = 1.0f + (1.2f * (float)rng.NextDouble());
        var talker = ClampInside(room, mic + new Vector3(talkDist * (float)Math.Cos(angT), talkDist * (float)Math.Sin(angT), 0.4f));

        int rirLen = Math.Min((int)(spec.Rt60 * fs * 1.2f), fs);
        float[] rirEcho = ImageSourceModel.ImpulseResponse(room, spk, mic, fs, rirLen);
        float[] rirNear = ImageSourceModel.ImpulseResponse(room, talker, mic, fs, rirLen);

        bool doubleTalkTimeline = spec.Kind is SceneKind.DoubleTalk or SceneKind.NoiseDoubleTalk or SceneKind.LoudEcho;
        var farActive = new List<(int, int)>();
        var nearActive = new List<(int, int)>();
        float[] farTalk = Talk(FarVoice, spec.Seed, n, fs);
        var reference = new float[n];
        if (doubleTalkTimeline)
        {
            // 0-50 %: far end alone; 50-70 %: double talk; 70-85 %: far end alone; 85-100 %: local talker alone.
            int farEnd = (int)(0.85 * n);
            Array.Copy(farTalk, reference, farEnd);
            farActive.Add((0, farEnd));
            // The local talker's room reverberation lasts about RT60 after the words stop.
            nearActive.Add(((int)(0.5 * n), Math.Min(farEnd, (int)(0.7 * n) + (int)(spec.Rt60 * fs))));
            nearActive.Add((farEnd, n));
        }
        else
        {
            Array.Copy(farTalk, reference, n);
            farActive.Add((0, n));
        }

        ScaleTo(reference, farActive, -24);

        // What the loudspeaker actually emits.
        var speaker = new float[n];
        double ratio = 1 + (spec.DriftPpm * 1e-6);
        int delay = spec.ExtraDelayMs * fs / 1000;
        // Separate clocks come with a playback buffer: 40 ms between the reference and the loudspeaker.
        double driftBase = spec.DriftPpm != 0 ? 0.040 * fs : 0;
        double refRms = SignalOps.Rms(reference, farActive);
        float clip = (float)(2.0 * refRms);
        for (int i = 0; i < n; i++)
        {
            float v = spec.DriftPpm != 0 ? SignalOps.SampleSinc(reference, (i * ratio) - driftBase) : (i - delay >= 0 ? reference[i - delay] : 0f);
            if (spec.Kind == SceneKind.SoftClipping)
            {
                v = clip * MathF.Tanh(v / clip);
            }

            speaker[i] = v;
        }

        float[] echo = SignalOps.Convolve(speaker, rirEcho);
        int pathChange = -1;
        if (spec.Kind == SceneKind.EchoPathChange)
        {
            // Someone moves the device's loudspeaker (or stands next to it) half way through.
            double ang2 = ang + 1.5 + rng.NextDouble();
            var spk2 = mic + new Vector3(0.35f * (float)Math.Cos(ang2), 0.35f * (float)Math.Sin(ang2), 0.1f);
            float[] echo2 = SignalOps.Convolve(speaker, ImageSourceModel.ImpulseResponse(room, ClampInside(room, spk2), mic, fs, rirLen));
            pathChange = n / 2;
            int fade = fs / 50;
            for (int i = pathChange; i < n; i++)
            {
                float w = Math.Min(1f, (i - pathChange) / (float)fade);
                echo[i] = ((1 - w) * echo[i]) + (w * echo2[i]);
            }
        }

        // Echo level at the mic: -26 dBFS while the far end talks; local talker at the same level (or 10 dB under).
        double echoGainDb = -26 - Db(SignalOps.Rms(echo, farActive));
        Scale(echo, echoGainDb);
        var nearEnd = new float[n];
        if (nearActive.Count > 0)
        {
            float[] nearTalk = Talk(NearVoice, spec.Seed + 100, n, fs);
            var dry = new float[n];
            Array.Copy(nearTalk, (int)(0.5 * n), dry, (int)(0.5 * n), (int)(0.2 * n));
            Array.Copy(nearTalk, (int)(0.85 * n), dry, (int)(0.85 * n), n - (int)(0.85 * n));

            float[] wet = SignalOps.Convolve(dry, rirNear);
            Array.Copy(wet, nearEnd, n);
            double target = spec.Kind == SceneKind.LoudEcho ? -36 : -26;
            Scale(nearEnd, target - Db(SignalOps.Rms(nearEnd, nearActive)));
        }

        // Sensor noise floor at -75 dBFS; background noise 15 dB under the talker in the noise scene.
        var noise = new float[n];
        double noiseDb = spec.Kind == SceneKind.NoiseDoubleTalk ? -26 - 15 : -75;
        float brown = 0;
        for (int i = 0; i < n; i++)
        {
            float w = Gaussian(rng);
            if (spec.Kind == SceneKind.NoiseDoubleTalk)
            {
                // Office-like noise: mostly low frequencies with a white part.
                brown = (0.97f * brown) + (0.1f * w);
                noise[i] = brown + (0.3f * Gaussian(rng));
            }
            else
            {
                noise[i] = w;
            }
        }

        Scale(noise, noiseDb - Db(SignalOps.Rms(noise)));
        var micSig = new float[n];
        for (int i = 0; i < n; i++)
        {
            micSig[i] = echo[i] + nearEnd[i] + noise[i];
        }

        return new Scene(spec, micSig, reference, nearEnd, echo, farActive, nearActive, pathChange);
    }

    private float[] Talk(string voice, int seed, int n, int fs)
    {
        if (_talkCache.TryGetValue((voice, seed, n * 4 + (fs / 16000)), out float[]? cached))
        {
            return cached;
        }

        var rng = new Random(seed * 31);
        var outBuf = new float[n];
        int pos = rng.Next(0, fs / 10);
        int idx = rng.Next(Sentences.Length);
        while (pos < n)
        {
            float[] s = speech.Speak(Sentences[idx % Sentences.Length], voice, fs, 150 + rng.Next(40));
            int len = Math.Min(s.Length, n - pos);
            Array.Copy(s, 0, outBuf, pos, len);
            pos += len + (fs / 10) + rng.Next(fs / 5);
            idx += 1 + rng.Next(3);
        }

        _talkCache[(voice, seed, n * 4 + (fs / 16000))] = outBuf;
        return outBuf;
    }

    private static Vector3 ClampInside(ShoeboxRoom room, Vector3 p) => new(
        Math.Clamp(p.X, 0.2f, room.Length - 0.2f), Math.Clamp(p.Y, 0.2f, room.Width - 0.2f), Math.Clamp(p.Z, 0.2f, room.Height - 0.2f));

    private static void ScaleTo(float[] x, IReadOnlyList<(int, int)> ranges, double db) => Scale(x, db - Db(SignalOps.Rms(x, ranges)));

    private static void Scale(float[] x, double db)
    {
        float g = (float)Math.Pow(10, db / 20);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] *= g;
        }
    }

    private static double Db(double rms) => 20 * Math.Log10(Math.Max(rms, 1e-12));

    private static float Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
