using System.Globalization;
using RoomDevice.Codecs.Opus;
using Xunit.Abstractions;

namespace RoomDevice.Codecs.Tests;

[Collection("speech")]
public sealed class OpusCodecTests(SpeechFixture speech, ITestOutputHelper output)
{
    private void Log(FormattableString s) => output.WriteLine(s.ToString(CultureInfo.InvariantCulture));

    [Fact]
    public void Libopus_loads_through_the_soname_resolver()
    {
        string version = Interop.OpusNative.Version();
        Log($"{version}");
        Assert.StartsWith("libopus", version, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(20000, 0)]
    [InlineData(24000, 10)]
    [InlineData(20000, 10)]
    [InlineData(16000, 30)]
    public void Voice_profile_sends_only_silk_20_ms_packets(int bitrate, int loss)
    {
        using var encoder = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice) with { Bitrate = bitrate, ExpectedLossPercent = loss });
        Assert.Equal(16000, encoder.SampleRate);
        Assert.Equal(320, encoder.FrameSamples);
        Assert.Equal(104, encoder.LookaheadSamples);
        List<byte[]> packets = CodecRun.Encode(encoder, speech.Speech16k);
        Assert.True(packets.Count > 200, $"only {packets.Count} packets");
        var bandwidths = new Dictionary<OpusBandwidth, int>();
        foreach (byte[] p in packets)
        {
            OpusPacketInfo info = OpusPacket.Parse(p);
            Assert.Equal(OpusMode.Silk, info.Mode);
            Assert.Equal(20.0, info.DurationMs, 6);
            bandwidths[info.Bandwidth] = bandwidths.GetValueOrDefault(info.Bandwidth) + 1;
        }
        double kbps = packets.Sum(p => p.Length) * 8 / (packets.Count * 0.02) / 1000;
        Log($"voice {bitrate} bit/s, loss {loss} %: {packets.Count} packets, {kbps:F1} kbit/s, {string.Join(", ", bandwidths.Select(b => $"{b.Key} {b.Value}"))}");
        Assert.InRange(kbps, 8, 30);
        // libopus narrows the band to make room for FEC when bitrate is low for the loss;
        // with no loss, or enough bitrate for it, every packet is wideband.
        if (loss == 0 || bitrate == 24000)
        {
            Assert.Equal(packets.Count, bandwidths.GetValueOrDefault(OpusBandwidth.Wideband));
        }
    }

    [Fact]
    public void Voice_profile_stays_silk_only_with_48_kHz_input()
    {
        using var encoder = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice, 48000));
        Assert.Equal(960, encoder.FrameSamples);
        List<byte[]> packets = CodecRun.Encode(encoder, speech.Speech48k);
        Assert.All(packets, p => Assert.Equal(OpusMode.Silk, OpusPacket.Mode(p[0])));
        Assert.All(packets, p => Assert.Equal(OpusBandwidth.Wideband, OpusPacket.Bandwidth(p[0])));
    }

    [Fact]
    public void Meeting_profile_sends_fullband_celt_or_hybrid_packets()
    {
        using var encoder = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Meeting));
        Assert.Equal(48000, encoder.SampleRate);
        Assert.Equal(960, encoder.FrameSamples);
        List<byte[]> packets = CodecRun.Encode(encoder, speech.Speech48k);
        int hybrid = 0, celt = 0;
        foreach (byte[] p in packets)
        {
            OpusPacketInfo info = OpusPacket.Parse(p);
            Assert.NotEqual(OpusMode.Silk, info.Mode);
            Assert.Equal(OpusBandwidth.Fullband, info.Bandwidth);
            if (info.Mode == OpusMode.Hybrid) { hybrid++; } else { celt++; }
        }
        Log($"meeting: {hybrid} hybrid, {celt} CELT, lookahead {encoder.LookaheadSamples}");
        Assert.Equal(packets.Count, hybrid + celt);
        Assert.Equal((hybrid, celt, 0L), (encoder.HybridPackets, encoder.CeltPackets, encoder.SilkPackets));
        Assert.Equal(packets.Sum(p => (long)p.Length), encoder.BytesEncoded);
    }

    [Theory]
    // floors sit well below what libopus 1.3.1 reaches here (10.4, 11.4, 9.5 and 21.4 dB)
    [InlineData(CodecProfile.Voice, 16000, 16000, 6)]
    [InlineData(CodecProfile.Voice, 16000, 24000, 6)]
    [InlineData(CodecProfile.Meeting, 48000, 32000, 5)]
    [InlineData(CodecProfile.Meeting, 48000, 64000, 14)]
    public void Speech_round_trip_keeps_the_waveform(CodecProfile profile, int rate, int bitrate, double minSnrDb)
    {
        var settings = OpusEncoderSettings.ForProfile(profile, rate) with { Bitrate = bitrate };
        using var encoder = new OpusVoiceEncoder(settings);
        using var decoder = new OpusVoiceDecoder(rate);
        float[] input = speech.At(rate);
        float[] decoded = CodecRun.Decode(decoder, CodecRun.Encode(encoder, input), encoder.FrameSamples);
        int delay = encoder.LookaheadSamples;
        double snr = CodecQuality.SnrDb(input, decoded, delay);
        double correlation = CodecQuality.Correlation(input, decoded, delay);
        int bestDelay = CodecQuality.FindDelay(input, decoded, delay / 2, delay * 3 / 2);
        Log($"{profile} {rate} Hz {bitrate} bit/s: SNR {snr:F2} dB, correlation {correlation:F3}, lookahead {delay}, best delay {bestDelay}");
        Assert.InRange(bestDelay, delay - 2, delay + 2);
        Assert.True(correlation > 0.8, $"correlation {correlation:F3}");
        Assert.True(snr > minSnrDb, $"SNR {snr:F2} dB");
        Assert.Equal(0, decoder.CorruptPackets);
        Assert.Equal(0, decoder.Concealed);
    }

    [Fact]
    public void Fec_recovers_a_lost_frame_better_than_concealment()
    {
        var settings = OpusEncoderSettings.ForProfile(CodecProfile.Voice) with { ExpectedLossPercent = 20 };
        using var encoder = new OpusVoiceEncoder(settings);
        float[] input = speech.Speech16k;
        List<byte[]> packets = CodecRun.Encode(encoder, input);
        int frame = encoder.FrameSamples, delay = encoder.LookaheadSamples;
        using var withFec = new OpusVoiceDecoder(16000);
        using var withPlc = new OpusVoiceDecoder(16000);
        var fecOut = new float[packets.Count * frame];
        var plcOut = new float[packets.Count * frame];
        var lost = new List<int>();
        for (int i = 0; i < packets.Count; i++)
        {
            // every 7th frame is lost (never two in a row), the same for both decoders
            bool isLost = i % 7 == 3 && i + 1 < packets.Count;
            Span<float> f = fecOut.AsSpan(i * frame, frame), p = plcOut.AsSpan(i * frame, frame);
            if (isLost)
            {
                lost.Add(i);
                withFec.Decode(packets[i + 1], f, fromFec: true);
                withPlc.Conceal(p);
            }
            else
            {
                withFec.Decode(packets[i], f);
                withPlc.Decode(packets[i], p);
            }
        }
        var fecSnr = new List<double>();
        var plcSnr = new List<double>();
        foreach (int i in lost)
        {
            // compare the output frame with the input it stands for; only where someone speaks
            int start = (i * frame) - delay;
            if (start < 0)
            {
                continue;
            }
            ReadOnlySpan<float> reference = input.AsSpan(start, frame);
            double energy = 0;
            foreach (float v in reference) { energy += v * v; }
            if (energy / frame < 1e-4)
            {
                continue;
            }
            fecSnr.Add(CodecQuality.SnrDb(reference, fecOut.AsSpan(i * frame, frame), 0));
            plcSnr.Add(CodecQuality.SnrDb(reference, plcOut.AsSpan(i * frame, frame), 0));
        }
        double fecMedian = CodecRun.Median(fecSnr), plcMedian = CodecRun.Median(plcSnr);
        int fecWins = fecSnr.Zip(plcSnr).Count(t => t.First > t.Second);
        Log($"{fecSnr.Count} lost speech frames: FEC median SNR {fecMedian:F2} dB, PLC {plcMedian:F2} dB, FEC better in {fecWins}");
        Assert.True(fecSnr.Count >= 20, $"only {fecSnr.Count} lost frames with speech");
        Assert.True(fecMedian > plcMedian + 1, $"FEC {fecMedian:F2} dB vs PLC {plcMedian:F2} dB");
        Assert.Equal(lost.Count, withFec.FecRecovered + withFec.Concealed);
        Assert.True(withFec.FecRecovered > lost.Count / 2, $"{withFec.FecRecovered} of {lost.Count} recovered");
        Assert.Equal(lost.Count, withPlc.Concealed);
    }

    [Theory]
    [InlineData(24000, 20, true)]
    [InlineData(20000, 20, true)]
    [InlineData(20000, 0, true)]
    [InlineData(24000, 20, false)]
    public void Fec_flag_read_from_the_packet_matches_what_libopus_recovers(int bitrate, int loss, bool fec)
    {
        var settings = OpusEncoderSettings.ForProfile(CodecProfile.Voice) with { Bitrate = bitrate, ExpectedLossPercent = loss, InbandFec = fec };
        using var encoder = new OpusVoiceEncoder(settings);
        List<byte[]> packets = CodecRun.Encode(encoder, speech.Speech16k);
        int withFec = packets.Count(p => OpusPacket.HasFec(p));
        Assert.Equal(withFec, encoder.PacketsWithFec);
        Assert.Equal(packets.Count(p => p.Length > 2), encoder.SilkPackets);
        int checkedFrames = 0, agree = 0;
        var fromFec = new float[320];
        var concealed = new float[320];
        var scratch = new float[320];
        for (int i = 6; i + 1 < packets.Count; i += 5)
        {
            // two decoders with the same history; frame i is lost
            using var a = new OpusVoiceDecoder(16000);
            using var b = new OpusVoiceDecoder(16000);
            for (int k = i - 6; k < i; k++)
            {
                a.Decode(packets[k], scratch);
                b.Decode(packets[k], scratch);
            }
            a.Decode(packets[i + 1], fromFec, fromFec: true);
            b.Conceal(concealed);
            bool differs = !fromFec.AsSpan().SequenceEqual(concealed);
            checkedFrames++;
            if (differs == OpusPacket.HasFec(packets[i + 1]))
            {
                agree++;
            }
            Assert.Equal(OpusPacket.HasFec(packets[i + 1]) ? 1 : 0, a.FecRecovered);
        }
        Log($"{bitrate} bit/s, loss {loss} %, FEC {fec}: {withFec} of {packets.Count} packets carry FEC; flag agrees with libopus in {agree} of {checkedFrames}");
        Assert.Equal(checkedFrames, agree);
        if (!fec || loss == 0)
        {
            Assert.Equal(0, withFec);
        }
        else
        {
            Assert.True(withFec > packets.Count / 3, $"{withFec} of {packets.Count}");
        }
    }

    [Fact]
    public void Corrupt_short_and_empty_packets_become_concealment()
    {
        using var encoder = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice));
        using var decoder = new OpusVoiceDecoder(16000);
        List<byte[]> packets = CodecRun.Encode(encoder, speech.Speech16k[..16000]);
        var pcm = new float[320];
        foreach (byte[] p in packets.Take(10))
        {
            Assert.Equal(320, decoder.Decode(p, pcm));
        }
        // empty: a lost packet
        Assert.Equal(320, decoder.Decode([], pcm));
        Assert.Equal(1, decoder.Concealed);
        // code 3 without its count byte, zero frames, and a 60 ms packet into a 20 ms buffer
        Assert.Equal(320, decoder.Decode([0x4B], pcm));
        Assert.Equal(320, decoder.Decode([0x4B, 0x00], pcm));
        Assert.Equal(320, decoder.Decode([0x5B, 0x03, 1, 2, 3], pcm));
        Assert.Equal(3, decoder.CorruptPackets);
        Assert.Equal(4, decoder.Concealed);
        Assert.All(pcm, v => Assert.True(float.IsFinite(v)));
        // random garbage never throws and keeps the output finite
        var random = new Random(7);
        var junk = new byte[200];
        for (int i = 0; i < 2000; i++)
        {
            int n = random.Next(1, junk.Length);
            random.NextBytes(junk.AsSpan(0, n));
            int written = decoder.Decode(junk.AsSpan(0, n), pcm, fromFec: i % 2 == 0);
            Assert.InRange(written, 1, 320);
        }
        Assert.All(pcm, v => Assert.True(float.IsFinite(v)));
        Log($"garbage: {decoder.CorruptPackets} corrupt, {decoder.Concealed} concealed");
        // the decoder still decodes real packets afterwards
        decoder.Reset();
        foreach (byte[] p in packets.Skip(10))
        {
            Assert.Equal(320, decoder.Decode(p, pcm));
        }
    }

    [Fact]
    public void Decoder_rejects_an_output_buffer_that_is_not_whole_2_5_ms_steps()
    {
        using var decoder = new OpusVoiceDecoder(16000);
        var e = Assert.Throws<ArgumentException>(() => decoder.Conceal(new float[321]));
        Assert.Contains("321", e.Message, StringComparison.Ordinal);
        Assert.Contains("multiple of 40", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dtx_sends_tiny_packets_in_silence()
    {
        using var encoder = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice) with { Dtx = true });
        List<byte[]> packets = CodecRun.Encode(encoder, new float[16000 * 2]);
        int tiny = packets.Count(p => p.Length <= 2);
        Log($"DTX: {tiny} of {packets.Count} packets at most 2 bytes");
        Assert.True(tiny > packets.Count / 2, $"{tiny} of {packets.Count}");
    }

    [Fact]
    public void Stereo_decoder_interleaves_two_channels()
    {
        using var encoder = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Meeting));
        using var decoder = new OpusVoiceDecoder(48000, channels: 2);
        List<byte[]> packets = CodecRun.Encode(encoder, speech.Speech48k[..48000]);
        var pcm = new float[960 * 2];
        double difference = 0, energy = 0;
        foreach (byte[] p in packets)
        {
            Assert.Equal(1920, decoder.Decode(p, pcm));
            for (int i = 0; i < 960; i++)
            {
                difference += Math.Abs(pcm[2 * i] - pcm[(2 * i) + 1]);
                energy += Math.Abs(pcm[2 * i]);
            }
        }
        Assert.True(energy > 0);
        Assert.True(difference < energy * 1e-3, "a mono stream decodes to equal channels");
    }

    [Fact]
    public async Task Expected_loss_and_bitrate_can_change_during_a_call()
    {
        using var encoder = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice));
        // a silent encoder sends no FEC; once loss is reported (from another thread) speech packets carry it
        List<byte[]> before = CodecRun.Encode(encoder, speech.Speech16k[..32000]);
        Assert.DoesNotContain(before, p => OpusPacket.HasFec(p));
        await Task.Run(() => { encoder.SetExpectedLoss(15); encoder.SetBitrate(24000); }).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(15, encoder.ExpectedLossPercent);
        Assert.Equal(24000, encoder.Bitrate);
        List<byte[]> after = CodecRun.Encode(encoder, speech.Speech16k[..32000]);
        Assert.Contains(after, p => OpusPacket.HasFec(p));
        Assert.Equal(24000, encoder.Bitrate);
        Assert.Throws<ArgumentOutOfRangeException>(() => encoder.SetExpectedLoss(101));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => encoder.SetBitrate(64000));
        Assert.Contains("16000..24000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_fec_bitrate_floor_reported_loss_raises_the_voice_bitrate_until_fec_is_really_sent()
    {
        // At 20 kbit/s and 5 % loss libopus sends no FEC in SILK wideband; the floor takes it to 24 kbit/s while loss lasts.
        var plain = OpusEncoderSettings.ForProfile(CodecProfile.Voice) with { ExpectedLossPercent = 5 };
        using var without = new OpusVoiceEncoder(plain);
        Assert.DoesNotContain(CodecRun.Encode(without, speech.Speech16k[..64000]), p => OpusPacket.HasFec(p));
        Assert.Equal(20000, without.RunningBitrate);

        using var encoder = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice) with { FecBitrateFloor = OpusEncoderSettings.VoiceMaxBitrate });
        Assert.Equal(20000, encoder.RunningBitrate);
        List<byte[]> clean = CodecRun.Encode(encoder, speech.Speech16k[..64000]);
        encoder.SetExpectedLoss(5);
        Assert.Equal(24000, encoder.RunningBitrate);
        Assert.Equal(20000, encoder.Bitrate); // what was asked for stays
        List<byte[]> lossy = CodecRun.Encode(encoder, speech.Speech16k[..64000]);
        Assert.Contains(lossy, p => OpusPacket.HasFec(p));
        Assert.All(lossy, p => Assert.Equal(OpusMode.Silk, OpusPacket.Mode(p[0])));
        Assert.True(lossy.Sum(p => p.Length) > clean.Sum(p => p.Length), "the raised bitrate shows in the packet sizes");
        encoder.SetExpectedLoss(0); // the loss is gone: back to the asked-for rate
        Assert.Equal(20000, encoder.RunningBitrate);
        List<byte[]> again = CodecRun.Encode(encoder, speech.Speech16k[..64000]);
        // The first packet may still carry the copy of the frame encoded while loss was reported.
        int[] withFec = [.. again.Select((p, i) => (p, i)).Where(x => OpusPacket.HasFec(x.p)).Select(x => x.i)];
        Assert.True(withFec.All(i => i == 0), "FEC after the loss went: packets " + string.Join(",", withFec));
    }

    [Fact]
    public void A_fec_bitrate_floor_outside_the_profile_is_refused_by_name()
    {
        var bad = OpusEncoderSettings.ForProfile(CodecProfile.Voice) with { FecBitrateFloor = 64000 };
        var e = Assert.Throws<ArgumentException>(() => new OpusVoiceEncoder(bad));
        Assert.Contains("FecBitrateFloor 64000", e.Message, StringComparison.Ordinal);
        Assert.Contains("16000..24000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encoder_rejects_a_frame_of_the_wrong_length()
    {
        using var encoder = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(CodecProfile.Voice));
        var e = Assert.Throws<ArgumentException>(() => encoder.Encode(new float[160], new byte[400]));
        Assert.Contains("160", e.Message, StringComparison.Ordinal);
        Assert.Contains("320", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encoder_and_decoder_allocate_nothing_per_frame()
    {
        foreach (CodecProfile profile in new[] { CodecProfile.Voice, CodecProfile.Meeting })
        {
            using var encoder = new OpusVoiceEncoder(OpusEncoderSettings.ForProfile(profile) with { ExpectedLossPercent = 10 });
            using var decoder = new OpusVoiceDecoder(encoder.SampleRate);
            float[] input = speech.At(encoder.SampleRate);
            int frame = encoder.FrameSamples;
            var packet = new byte[OpusVoiceEncoder.MaxPacketBytes];
            var pcm = new float[frame];
            void Step(int i)
            {
                int n = encoder.Encode(input.AsSpan((i % 100) * frame, frame), packet);
                switch (i % 10)
                {
                    case 3: decoder.Conceal(pcm); break;
                    case 4: decoder.Decode(packet.AsSpan(0, n), pcm, fromFec: true); break;
                    case 5: decoder.Decode(packet.AsSpan(0, 1), pcm); break;
                    default: decoder.Decode(packet.AsSpan(0, n), pcm); break;
                }
            }
            for (int i = 0; i < 50; i++) { Step(i); }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 500; i++) { Step(i); }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, allocated);
        }
    }
}
