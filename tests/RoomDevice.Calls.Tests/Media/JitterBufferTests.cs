using RoomDevice.Calls.Media;
using RoomDevice.Codecs.Opus;

namespace RoomDevice.Calls.Tests.Media;

public sealed class JitterBufferTests
{
    private const int Clock = 48000, Ptime = 20, TsStep = 960;

    /// <summary>Opus packets of a 300 Hz tone, 20 ms each.</summary>
    private static List<byte[]> Packets(int count)
    {
        using var enc = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice, 16000) with { ExpectedLossPercent = 10 });
        var pcm = new float[320];
        var buf = new byte[1500];
        var list = new List<byte[]>();
        for (int p = 0; p < count; p++)
        {
            for (int i = 0; i < pcm.Length; i++)
            {
                pcm[i] = 0.3f * MathF.Sin(2 * MathF.PI * 300 * ((p * 320) + i) / 16000f);
            }
            int n = enc.Encode(pcm, buf);
            list.Add(buf.AsSpan(0, n).ToArray());
        }
        return list;
    }

    private static (JitterBuffer Jb, OpusVoiceDecoder Dec) Make(JitterBufferSettings? s = null)
    {
        var dec = new OpusVoiceDecoder(16000);
        return (new JitterBuffer(s ?? new JitterBufferSettings(), dec, Clock, Ptime, fecCapable: true), dec);
    }

    /// <summary>Sends packets at 20 ms with fixed delay, pulls every 10 ms; returns the buffer.</summary>
    private static JitterBuffer Play(List<byte[]> packets, Func<int, int>? order = null, ISet<int>? drop = null, ushort firstSeq = 0)
    {
        var (jb, _) = Make();
        var frame = new float[jb.FrameSamples];
        long now = 0;
        for (int i = 0; i < packets.Count; i++)
        {
            int k = order?.Invoke(i) ?? i;
            if (drop?.Contains(k) != true)
            {
                jb.Insert((ushort)(firstSeq + k), (uint)(k * TsStep), packets[k], now);
            }
            jb.Pull(frame, now);
            now += 10_000;
            jb.Pull(frame, now);
            now += 10_000;
        }
        for (int i = 0; i < 20; i++, now += 10_000)
        {
            jb.Pull(frame, now);
        }
        return jb;
    }

    [Fact]
    public void In_order_stream_plays_every_packet_across_the_sequence_wrap()
    {
        var packets = Packets(200);
        var jb = Play(packets, firstSeq: 65500);
        var s = jb.Statistics;
        Assert.Equal(200, s.PacketsDecoded);
        Assert.Equal(0, s.LatePackets);
        Assert.Equal(0, s.ConcealedLost);
        Assert.Equal(0, s.DroppedFrames);
        Assert.InRange(s.TargetDelayMs, 20, 21);
    }

    [Fact]
    public void Swapped_pairs_are_reordered_not_lost()
    {
        var packets = Packets(200);
        var jb = Play(packets, order: i => i % 2 == 0 ? Math.Min(i + 1, 199) : i - 1);
        Assert.Equal(200, jb.Statistics.PacketsDecoded);
        Assert.Equal(0, jb.Statistics.LatePackets);
        Assert.Equal(0, jb.Statistics.ConcealedLost);
    }

    [Fact]
    public void A_single_loss_is_rebuilt_from_the_next_packets_fec()
    {
        var packets = Packets(100);
        var jb = Play(packets, order: i => i switch { 50 => 51, 51 => 50, _ => i }, drop: new HashSet<int> { 50 });
        Assert.Equal(1, jb.Statistics.FecRecovered);
        Assert.Equal(99, jb.Statistics.PacketsDecoded);
    }

    [Fact]
    public void Duplicates_late_and_oversized_packets_are_counted_and_dropped()
    {
        var packets = Packets(60);
        var (jb, _) = Make();
        var frame = new float[jb.FrameSamples];
        long now = 0;
        for (int i = 0; i < 60; i++)
        {
            if (i != 30)
            {
                Assert.True(jb.Insert((ushort)i, (uint)(i * TsStep), packets[i], now));
            }
            if (i == 10)
            {
                Assert.False(jb.Insert(10, 10 * TsStep, packets[10], now)); // a copy while it waits
            }
            jb.Pull(frame, now);
            now += 10_000;
            jb.Pull(frame, now);
            now += 10_000;
        }
        Assert.False(jb.Insert(5, 5 * TsStep, packets[5], now));   // a copy of one long played
        Assert.False(jb.Insert(30, 30 * TsStep, packets[30], now)); // concealed long ago: too late
        Assert.False(jb.Insert(61, 61 * TsStep, new byte[2000], now));
        Assert.Equal(2, jb.Statistics.DuplicatePackets);
        Assert.Equal(1, jb.Statistics.LatePackets);
        Assert.Equal(1, jb.Statistics.DiscardedPackets);
        Assert.Equal(1, jb.Statistics.FecRecovered);
    }

    [Fact]
    public void Delay_grows_for_a_jittery_stream_and_shrinks_when_it_calms()
    {
        var packets = Packets(1500);
        var (jb, _) = Make();
        var frame = new float[jb.FrameSamples];
        var rng = new Random(3);
        var arrivals = new List<(long At, int I)>();
        for (int i = 0; i < packets.Count; i++)
        {
            long jitter = i < 750 ? (long)(rng.NextDouble() * 60_000) : 0;
            arrivals.Add(((i * 20_000L) + 10_000 + jitter, i));
        }
        arrivals.Sort((a, b) => a.At.CompareTo(b.At));
        int next = 0;
        double targetAfterJitter = 0;
        for (long now = 0; now < (packets.Count * 20_000L) + 200_000; now += 10_000)
        {
            while (next < arrivals.Count && arrivals[next].At <= now)
            {
                int i = arrivals[next++].I;
                jb.Insert((ushort)i, (uint)(i * TsStep), packets[i], arrivals[next - 1].At);
            }
            jb.Pull(frame, now);
            if (now == 750 * 20_000L)
            {
                targetAfterJitter = jb.Statistics.TargetDelayMs;
            }
        }
        Assert.InRange(targetAfterJitter, 45, 70);
        Assert.True(jb.Statistics.TargetDelayMs < targetAfterJitter, $"target stayed at {jb.Statistics.TargetDelayMs} ms");
        Assert.True(jb.Statistics.DroppedFrames > 0, "never shrank");
        Assert.True(jb.Statistics.LateRate < 0.02, $"late {jb.Statistics.LateRate:P1}");
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        var packets = Packets(400);
        var (jb, _) = Make();
        var frame = new float[jb.FrameSamples];
        long now = 0;
        void Step(int i)
        {
            jb.Insert((ushort)i, (uint)(i * TsStep), packets[i], now);
            jb.Pull(frame, now);
            now += 10_000;
            jb.Pull(frame, now);
            now += 10_000;
        }
        for (int i = 0; i < 100; i++)
        {
            Step(i);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 100; i < 400; i++)
        {
            Step(i);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(10, 5, 0.9, 0.998, 64)]
    [InlineData(20, 10, 0.9, 0.998, 64)]
    [InlineData(20, 300, 0.3, 0.998, 64)]
    [InlineData(20, 300, 0.9, 0.5, 64)]
    [InlineData(20, 300, 0.9, 0.998, 100)]
    public void Bad_settings_are_refused_with_the_accepted_range(int min, int max, double q, double forget, int capacity)
    {
        var s = new JitterBufferSettings { MinDelayMs = min, MaxDelayMs = max, Quantile = q, Forgetting = forget, CapacityPackets = capacity };
        var e = Assert.Throws<ArgumentException>(s.Validate);
        Assert.Contains("accepted", e.Message, StringComparison.Ordinal);
    }
}
