using RoomDevice.Codecs.Opus;

namespace RoomDevice.Calls.Media;

/// <summary>Figures of one simulated network run through the jitter buffer.</summary>
/// <param name="LossRate">Share of packets the network dropped.</param>
/// <param name="MeanAddedDelayMs">Mean time a played packet waited in the buffer.</param>
/// <param name="P95AddedDelayMs">95th percentile of that wait.</param>
/// <param name="ConcealmentRate">Share of output that was concealment.</param>
/// <param name="LateRate">Share of packets that came too late to play.</param>
/// <param name="FecRecovered">Lost packets rebuilt from FEC.</param>
/// <param name="SnrDb">Output against the loss-free decode, over active speech, aligned by the playout position.</param>
/// <param name="Statistics">The buffer's own counters.</param>
public sealed record JitterScenarioResult(double LossRate, double MeanAddedDelayMs, double P95AddedDelayMs, double ConcealmentRate,
    double LateRate, long FecRecovered, double SnrDb, JitterBufferStatistics Statistics);

/// <summary>
/// A reproducible network for the jitter buffer: Opus packets of 20 ms through a Gilbert-Elliott
/// loss channel (bursty loss) and random per-packet delay, played out on a 10 ms clock in
/// simulated time. Used by the scenario tests and the benchmark.
/// </summary>
public static class JitterScenario
{
    private const int Rate = 16000, Clock = 48000, PacketMs = 20;

    /// <summary>
    /// Runs <paramref name="speech"/> (16 kHz mono) through a channel losing
    /// <paramref name="lossPercent"/> of packets in bursts of mean length <paramref name="meanBurst"/>,
    /// each packet delayed by 20 ms plus a uniform random 0..<paramref name="jitterMs"/>.
    /// </summary>
    public static JitterScenarioResult Run(float[] speech, double lossPercent, double jitterMs, int seed,
        double meanBurst = 2.0, JitterBufferSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(speech);
        var rng = new Random(seed);
        int frame = Rate * PacketMs / 1000;
        int count = speech.Length / frame;
        var packets = new byte[count][];
        using (var enc = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice, Rate) with { ExpectedLossPercent = (int)Math.Ceiling(lossPercent) }))
        {
            var buf = new byte[1500];
            for (int i = 0; i < count; i++)
            {
                int n = enc.Encode(speech.AsSpan(i * frame, frame), buf);
                packets[i] = buf.AsSpan(0, n).ToArray();
            }
        }
        var clean = new float[count * frame];
        using (var dec = new OpusVoiceDecoder(Rate))
        {
            for (int i = 0; i < count; i++)
            {
                dec.Decode(packets[i], clean.AsSpan(i * frame, frame));
            }
        }

        // Gilbert-Elliott: bad state drops everything, good state nothing; loss = p / (p + r), burst = 1 / r.
        double loss = lossPercent / 100.0;
        double r = 1.0 / Math.Max(1.0, meanBurst);
        double p = loss <= 0 ? 0 : loss * r / (1 - loss);
        bool bad = false;
        var arrivals = new List<(long At, int Index)>(count);
        int lost = 0;
        for (int i = 0; i < count; i++)
        {
            bad = bad ? rng.NextDouble() >= r : rng.NextDouble() < p;
            if (bad)
            {
                lost++;
                continue;
            }
            long sendUs = (long)i * PacketMs * 1000;
            long delayUs = 20_000 + (long)(rng.NextDouble() * jitterMs * 1000);
            arrivals.Add((sendUs + delayUs, i));
        }
        arrivals.Sort((a, b) => a.At.CompareTo(b.At));

        using var decoder = new OpusVoiceDecoder(Rate);
        var jb = new JitterBuffer(settings ?? new JitterBufferSettings(), decoder, Clock, PacketMs, fecCapable: true);
        var outFrame = new float[jb.FrameSamples];
        long firstTs = 1000;
        ushort firstSeq = 65500; // crosses the sequence wrap on purpose
        int next = 0;
        long endUs = ((long)count * PacketMs * 1000) + 400_000;
        double sigEnergy = 0, errEnergy = 0;
        for (long now = 0; now < endUs; now += 10_000)
        {
            while (next < arrivals.Count && arrivals[next].At <= now)
            {
                int idx = arrivals[next].Index;
                jb.Insert((ushort)(firstSeq + idx), (uint)(firstTs + ((long)idx * Clock * PacketMs / 1000)), packets[idx], arrivals[next].At);
                next++;
            }
            if (jb.PlayoutTimestamp >= firstTs + ((long)count * Clock * PacketMs / 1000))
            {
                break; // every packet has played; what follows would be concealment of nothing
            }
            jb.Pull(outFrame, now);
            long refStart = (jb.PlayoutTimestamp - firstTs) * Rate / Clock;
            if (refStart < 0 || refStart + outFrame.Length > clean.Length)
            {
                continue;
            }
            double s = 0, e = 0;
            for (int k = 0; k < outFrame.Length; k++)
            {
                double rf = clean[refStart + k];
                s += rf * rf;
                double d = outFrame[k] - rf;
                e += d * d;
            }
            if (s / outFrame.Length > 1e-5)
            {
                sigEnergy += s;
                errEnergy += e;
            }
        }
        var st = jb.Statistics;
        double snr = errEnergy <= 0 ? 99 : 10 * Math.Log10(sigEnergy / errEnergy);
        return new JitterScenarioResult((double)lost / count, st.MeanAddedDelayMs, st.AddedDelayQuantileMs(0.95), st.ConcealmentRate,
            st.LateRate, st.FecRecovered, snr, st);
    }
}
