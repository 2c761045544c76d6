using RoomDevice.Codecs;

namespace RoomDevice.Calls.Media;

/// <summary>Settings of the adaptive jitter buffer.</summary>
public sealed record JitterBufferSettings
{
    /// <summary>Lowest playout delay the buffer aims for, ms.</summary>
    public int MinDelayMs { get; init; } = 20;

    /// <summary>Highest playout delay, ms; spikes beyond are concealed rather than waited for.</summary>
    public int MaxDelayMs { get; init; } = 300;

    /// <summary>Quantile of the arrival-delay distribution the target covers (0.5..0.999).</summary>
    public double Quantile { get; init; } = 0.98;

    /// <summary>Per-packet forgetting factor of the delay histogram (0.99..0.99999); 0.998 remembers about 10 s at 50 packets/s.</summary>
    public double Forgetting { get; init; } = 0.998;

    /// <summary>Packets the buffer holds (a power of two).</summary>
    public int CapacityPackets { get; init; } = 64;

    /// <summary>Largest payload stored, bytes.</summary>
    public int MaxPayloadBytes { get; init; } = 1500;

    /// <summary>Throws <see cref="ArgumentException"/> naming a bad setting.</summary>
    public void Validate()
    {
        if (MinDelayMs < 0 || MaxDelayMs < MinDelayMs + 20 || MaxDelayMs > 2000)
        {
            throw new ArgumentException($"jitter buffer delays {MinDelayMs}..{MaxDelayMs} ms are not usable; accepted: 0 <= min, min + 20 <= max <= 2000");
        }
        if (Quantile is < 0.5 or > 0.999)
        {
            throw new ArgumentException($"jitter buffer quantile {Quantile} is out of range; accepted: 0.5..0.999");
        }
        if (Forgetting is < 0.99 or > 0.99999)
        {
            throw new ArgumentException($"jitter buffer forgetting factor {Forgetting} is out of range; accepted: 0.99..0.99999");
        }
        if (CapacityPackets is < 8 or > 1024 || (CapacityPackets & (CapacityPackets - 1)) != 0)
        {
            throw new ArgumentException($"jitter buffer capacity {CapacityPackets} is not usable; accepted: a power of two from 8 to 1024");
        }
    }
}

/// <summary>Counters of a <see cref="JitterBuffer"/>; all plain numbers so telemetry can copy them.</summary>
public sealed class JitterBufferStatistics
{
    internal readonly long[] ResidenceHistogramMs = new long[1001];

    /// <summary>Packets offered.</summary>
    public long PacketsInserted { get; internal set; }
    /// <summary>Packets decoded in order.</summary>
    public long PacketsDecoded { get; internal set; }
    /// <summary>Packets that came after their playout time and were dropped.</summary>
    public long LatePackets { get; internal set; }
    /// <summary>Copies of packets already held or played.</summary>
    public long DuplicatePackets { get; internal set; }
    /// <summary>Packets dropped because they were too far ahead, too large or the buffer overflowed.</summary>
    public long DiscardedPackets { get; internal set; }
    /// <summary>Lost packets rebuilt from the next packet's in-band FEC.</summary>
    public long FecRecovered { get; internal set; }
    /// <summary>Lost packets concealed.</summary>
    public long ConcealedLost { get; internal set; }
    /// <summary>Packet slots concealed because nothing had arrived by then, not even a later packet (a pause, or the tail of a loss burst).</summary>
    public long UnderrunPackets { get; internal set; }
    /// <summary>10 ms concealment frames inserted to grow the delay (or while waiting for a late packet).</summary>
    public long InsertedFrames { get; internal set; }
    /// <summary>10 ms frames removed to shrink the delay.</summary>
    public long DroppedFrames { get; internal set; }
    /// <summary>Times the playout point re-anchored on a restarted stream.</summary>
    public long Resyncs { get; internal set; }
    /// <summary>Output samples.</summary>
    public long SamplesOut { get; internal set; }
    /// <summary>Output samples that were concealment (lost, waiting, inserted), FEC not included.</summary>
    public long SamplesConcealed { get; internal set; }
    /// <summary>Current target delay, ms.</summary>
    public double TargetDelayMs { get; internal set; }
    /// <summary>Current playout delay over the fastest recent packet, ms.</summary>
    public double CurrentDelayMs { get; internal set; }

    /// <summary>Share of output that was concealment, 0..1.</summary>
    public double ConcealmentRate => SamplesOut == 0 ? 0 : (double)SamplesConcealed / SamplesOut;

    /// <summary>Share of packets that arrived too late to play, 0..1.</summary>
    public double LateRate => PacketsInserted == 0 ? 0 : (double)LatePackets / PacketsInserted;

    /// <summary>Mean time a played packet waited in the buffer, ms.</summary>
    public double MeanAddedDelayMs
    {
        get
        {
            long n = 0;
            double sum = 0;
            for (int i = 0; i < ResidenceHistogramMs.Length; i++)
            {
                n += ResidenceHistogramMs[i];
                sum += (double)ResidenceHistogramMs[i] * i;
            }
            return n == 0 ? 0 : sum / n;
        }
    }

    /// <summary>Quantile <paramref name="q"/> of the time played packets waited in the buffer, ms.</summary>
    public double AddedDelayQuantileMs(double q)
    {
        long n = ResidenceHistogramMs.Sum();
        if (n == 0)
        {
            return 0;
        }
        long need = (long)Math.Ceiling(q * n);
        long acc = 0;
        for (int i = 0; i < ResidenceHistogramMs.Length; i++)
        {
            acc += ResidenceHistogramMs[i];
            if (acc >= need)
            {
                return i;
            }
        }
        return ResidenceHistogramMs.Length - 1;
    }
}

/// <summary>
/// Adaptive jitter buffer for one RTP audio stream. The target delay is a high quantile of the
/// packets' arrival delay over the fastest recent packet, kept in a histogram with exponential
/// forgetting. A missing packet is rebuilt from the next packet's FEC when that is already here,
/// concealed when later packets are here, and waited for (concealment without advancing) when
/// nothing later has come yet. The delay moves towards the target by inserting 10 ms of
/// concealment (grow) or cross-fading about 10 ms, pitch-aligned, out of a decoded packet (shrink). Time is passed in
/// by the caller, so simulations run faster than real time. Allocation-free after construction.
/// Not thread-safe: one thread inserts and pulls (the media thread).
/// </summary>
public sealed class JitterBuffer
{
    private const int HistogramBinMs = 1;
    private const double GrowBelowMs = 0, ShrinkAboveMs = 15, GiveUpWaitingMs = 30;
    private const long MinWindowUs = 2_000_000;

    private readonly JitterBufferSettings _settings;
    private readonly IVoiceDecoder _decoder;
    private readonly int _clock;
    private readonly int _outRate;
    private readonly int _frame;
    private readonly bool _fec;
    private readonly int _mask;
    private readonly byte[][] _data;
    private readonly int[] _length;
    private readonly long[] _seq;
    private readonly long[] _ts;
    private readonly long[] _arrival;
    private readonly double[] _hist;
    private readonly float[] _decoded;
    private readonly float[] _fifo;
    private int _fifoCount;
    private double _histWeight = 1, _histTotal;

    private bool _haveStream;
    private bool _playedAny;
    private long _highest = -1;
    private long _lastExtTs;
    private long _next;
    private long _nextTs;
    private long _durationTs;
    private double _minCur = double.MaxValue, _minPrev = double.MaxValue;
    private long _windowStartUs;

    /// <summary>
    /// Creates a buffer that decodes with <paramref name="decoder"/> (its rate is the output rate),
    /// for an RTP clock of <paramref name="rtpClock"/> and packets of <paramref name="ptimeMs"/>.
    /// <paramref name="fecCapable"/> says the codec can rebuild a lost frame from the next packet.
    /// </summary>
    public JitterBuffer(JitterBufferSettings settings, IVoiceDecoder decoder, int rtpClock, int ptimeMs, bool fecCapable)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(decoder);
        settings.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(rtpClock, 8000);
        ArgumentOutOfRangeException.ThrowIfLessThan(ptimeMs, 10);
        _settings = settings;
        _decoder = decoder;
        _clock = rtpClock;
        _outRate = decoder.SampleRate;
        _frame = _outRate / 100;
        _fec = fecCapable;
        _mask = settings.CapacityPackets - 1;
        _data = new byte[settings.CapacityPackets][];
        for (int i = 0; i < _data.Length; i++)
        {
            _data[i] = new byte[settings.MaxPayloadBytes];
        }
        _length = new int[settings.CapacityPackets];
        _seq = new long[settings.CapacityPackets];
        _ts = new long[settings.CapacityPackets];
        _arrival = new long[settings.CapacityPackets];
        _hist = new double[(settings.MaxDelayMs / HistogramBinMs) + 1];
        _decoded = new float[_outRate * 120 / 1000];
        _fifo = new float[_outRate * 240 / 1000];
        _durationTs = (long)rtpClock * ptimeMs / 1000;
        Statistics = new JitterBufferStatistics { TargetDelayMs = settings.MinDelayMs };
        Reset();
    }

    /// <summary>Counters.</summary>
    public JitterBufferStatistics Statistics { get; }

    /// <summary>Samples per pulled frame (10 ms at the decoder's rate).</summary>
    public int FrameSamples => _frame;

    /// <summary>Output sample rate.</summary>
    public int SampleRate => _outRate;

    /// <summary>Extended RTP timestamp of the first sample of the frame last pulled (where playout is in the stream).</summary>
    public long PlayoutTimestamp { get; private set; }

    /// <summary>Packets waiting.</summary>
    public int Count
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _length.Length; i++)
            {
                if (_length[i] >= 0)
                {
                    n++;
                }
            }
            return n;
        }
    }

    /// <summary>Forgets the stream (new SSRC, re-INVITE); keeps the counters and the delay history.</summary>
    public void Reset()
    {
        Array.Fill(_length, -1);
        _haveStream = false;
        _playedAny = false;
        _highest = -1;
        _fifoCount = 0;
    }

    /// <summary>
    /// Offers one packet that arrived at <paramref name="arrivalUs"/> (microseconds on the caller's
    /// clock). Returns false when it was late, a duplicate, or could not be stored.
    /// </summary>
    public bool Insert(ushort sequence, uint timestamp, ReadOnlySpan<byte> payload, long arrivalUs)
    {
        Statistics.PacketsInserted++;
        if (payload.Length > _settings.MaxPayloadBytes)
        {
            Statistics.DiscardedPackets++;
            return false;
        }
        long ext, extTs;
        if (!_haveStream)
        {
            ext = sequence;
            extTs = timestamp;
            _haveStream = true;
            _highest = ext - 1;
            _next = ext;
            _nextTs = extTs;
            _lastExtTs = extTs;
            _windowStartUs = arrivalUs;
        }
        else
        {
            ext = _highest + (short)(ushort)(sequence - (ushort)_highest);
            extTs = _lastExtTs + (int)(timestamp - (uint)_lastExtTs);
        }

        UpdateDelayStatistics(extTs, arrivalUs);

        if (ext < _next && !_playedAny && _next - ext < _data.Length)
        {
            // Reordered at the very start: nothing has played yet, so start from the earlier packet.
            _next = ext;
            _nextTs = extTs;
        }
        if (ext < _next)
        {
            if (ext > _highest)
            {
                // We advanced past the newest packet while the sender was silent: it resumed.
                _next = ext;
                _nextTs = extTs;
                Statistics.Resyncs++;
            }
            else
            {
                if (_next - ext < _data.Length && _seq[(int)(ext & _mask)] == ext && _length[(int)(ext & _mask)] == -2)
                {
                    Statistics.DuplicatePackets++;
                }
                else
                {
                    Statistics.LatePackets++;
                }
                return false;
            }
        }
        if (ext - _next >= _data.Length)
        {
            if (ext - _next > 3 * _data.Length)
            {
                // Far ahead: the sender restarted its sequence; start over from this packet.
                Array.Fill(_length, -1);
                _next = ext;
                _nextTs = extTs;
                Statistics.Resyncs++;
            }
            else
            {
                Statistics.DiscardedPackets++;
                return false;
            }
        }
        int slot = (int)(ext & _mask);
        if (_length[slot] >= 0 && _seq[slot] == ext)
        {
            Statistics.DuplicatePackets++;
            return false;
        }
        if (ext == _highest + 1 && extTs > _lastExtTs && extTs - _lastExtTs <= _clock / 8)
        {
            _durationTs = extTs - _lastExtTs;
        }
        payload.CopyTo(_data[slot]);
        _length[slot] = payload.Length;
        _seq[slot] = ext;
        _ts[slot] = extTs;
        _arrival[slot] = arrivalUs;
        if (ext > _highest)
        {
            _highest = ext;
            _lastExtTs = extTs;
        }
        return true;
    }

    private void UpdateDelayStatistics(long extTs, long arrivalUs)
    {
        double r = (arrivalUs / 1000.0) - (extTs * 1000.0 / _clock);
        if (arrivalUs - _windowStartUs > MinWindowUs)
        {
            _minPrev = _minCur;
            _minCur = double.MaxValue;
            _windowStartUs = arrivalUs;
        }
        _minCur = Math.Min(_minCur, r);
        double rmin = Math.Min(_minCur, _minPrev);
        double d = r - rmin;
        int bin = (int)Math.Clamp(d / HistogramBinMs, 0, _hist.Length - 1);
        _hist[bin] += _histWeight;
        _histTotal += _histWeight;
        _histWeight /= _settings.Forgetting;
        if (_histWeight > 1e100)
        {
            for (int i = 0; i < _hist.Length; i++)
            {
                _hist[i] /= _histWeight;
            }
            _histTotal /= _histWeight;
            _histWeight = 1;
        }
        double need = _settings.Quantile * _histTotal;
        double acc = 0;
        int q = 0;
        for (; q < _hist.Length - 1; q++)
        {
            acc += _hist[q];
            if (acc >= need)
            {
                break;
            }
        }
        Statistics.TargetDelayMs = Math.Clamp((q + 1) * HistogramBinMs, _settings.MinDelayMs, _settings.MaxDelayMs);
    }

    private double RelativeMinimum => Math.Min(_minCur, _minPrev);

    /// <summary>Delay of the sample about to play over the fastest recent packet, ms.</summary>
    private double CurrentDelayMs(long nowUs)
    {
        double posTs = _nextTs - ((double)_fifoCount * _clock / _outRate);
        return (nowUs / 1000.0) - ((posTs * 1000.0 / _clock) + RelativeMinimum);
    }

    /// <summary>Fills <paramref name="frame"/> (10 ms at the output rate) with what plays at <paramref name="nowUs"/>.</summary>
    public void Pull(Span<float> frame, long nowUs)
    {
        if (frame.Length != _frame)
        {
            throw new ArgumentException($"frame has {frame.Length} samples; this buffer produces {_frame} (10 ms at {_outRate} Hz)", nameof(frame));
        }
        if (!_haveStream)
        {
            frame.Clear();
            return;
        }
        int guard = 0;
        while (_fifoCount < _frame && guard++ < 16)
        {
            Refill(nowUs);
        }
        if (_fifoCount < _frame)
        {
            _fifo.AsSpan(_fifoCount, _frame - _fifoCount).Clear();
            _fifoCount = _frame;
        }
        PlayoutTimestamp = _nextTs - ((long)_fifoCount * _clock / _outRate);
        _fifo.AsSpan(0, _frame).CopyTo(frame);
        _fifo.AsSpan(_frame, _fifoCount - _frame).CopyTo(_fifo);
        _fifoCount -= _frame;
        Statistics.SamplesOut += _frame;
        Statistics.CurrentDelayMs = CurrentDelayMs(nowUs);
    }

    private int PacketSamples => (int)Math.Clamp(_durationTs * _outRate / _clock, _frame, _decoded.Length);

    private void Refill(long nowUs)
    {
        double delay = CurrentDelayMs(nowUs);
        double target = Statistics.TargetDelayMs;
        int slot = (int)(_next & _mask);
        bool present = _length[slot] >= 0 && _seq[slot] == _next;
        if (delay < target + GrowBelowMs && (present || _highest >= _next))
        {
            // Grow towards the target with one frame of concealment before the next packet.
            AppendConcealment(_frame);
            Statistics.InsertedFrames++;
            return;
        }
        if (present)
        {
            int n = _decoder.Decode(_data[slot].AsSpan(0, _length[slot]), _decoded.AsSpan(0, PacketSamples));
            long residenceMs = Math.Clamp((nowUs - _arrival[slot]) / 1000, 0, Statistics.ResidenceHistogramMs.Length - 1);
            Statistics.ResidenceHistogramMs[residenceMs]++;
            Statistics.PacketsDecoded++;
            _playedAny = true;
            _nextTs = _ts[slot];
            Consume(slot);
            if (delay > target + ShrinkAboveMs && n >= 2 * _frame)
            {
                n = Shrink(_decoded.AsSpan(0, n));
                Statistics.DroppedFrames++;
            }
            Append(_decoded.AsSpan(0, n));
            return;
        }
        int nextSlot = (int)((_next + 1) & _mask);
        bool nextPresent = _length[nextSlot] >= 0 && _seq[nextSlot] == _next + 1;
        if (_highest > _next)
        {
            // Lost: later packets are here.
            int samples = PacketSamples;
            if (nextPresent && _fec)
            {
                int n = _decoder.Decode(_data[nextSlot].AsSpan(0, _length[nextSlot]), _decoded.AsSpan(0, samples), fromFec: true);
                Append(_decoded.AsSpan(0, n));
                Statistics.FecRecovered++;
            }
            else
            {
                AppendConcealment(samples);
                Statistics.ConcealedLost++;
            }
            MarkPlayed(slot);
            return;
        }
        if (delay > target + GiveUpWaitingMs)
        {
            // Nothing later yet and already well past the target: the sender paused or the tail of a burst was lost; move on.
            AppendConcealment(PacketSamples);
            Statistics.UnderrunPackets++;
            MarkPlayed(slot);
            return;
        }
        // Wait for it: play concealment without moving the playout point.
        AppendConcealment(_frame);
        Statistics.InsertedFrames++;
    }

    /// <summary>
    /// Plays a decoded packet about 10 ms shorter: finds the shift k near 10 ms where the packet
    /// best matches itself (so voiced speech stays in pitch phase), then cross-fades x[i] into
    /// x[i + k] over the rest of the packet. The result starts like the packet and ends like it,
    /// so both joins stay continuous. Returns the new length.
    /// </summary>
    private int Shrink(Span<float> x)
    {
        int n = x.Length;
        int lo = _frame * 3 / 4, hi = Math.Min(_frame * 5 / 4, n - (_frame / 2));
        int window = Math.Min(_frame / 2, n - hi);
        int best = _frame;
        double bestScore = double.NegativeInfinity;
        for (int k = lo; k <= hi; k++)
        {
            double xy = 0, yy = 1e-9;
            for (int i = 0; i < window; i++)
            {
                xy += x[i] * x[i + k];
                yy += x[i + k] * x[i + k];
            }
            double score = xy / Math.Sqrt(yy);
            if (score > bestScore)
            {
                bestScore = score;
                best = k;
            }
        }
        int len = n - best;
        for (int i = 0; i < len; i++)
        {
            float w = (i + 0.5f) / len;
            x[i] = (x[i] * (1 - w)) + (x[i + best] * w);
        }
        return len;
    }

    private void Consume(int slot)
    {
        _length[slot] = -2; // played: a later copy is a duplicate
        _next++;
        _nextTs += _durationTs;
    }

    private void MarkPlayed(int slot)
    {
        _seq[slot] = _next;
        _length[slot] = -3; // concealed or rebuilt: the packet itself, if it comes, is late
        _next++;
        _nextTs += _durationTs;
    }

    private void AppendConcealment(int samples)
    {
        samples = Math.Min(samples, _decoded.Length);
        int n = _decoder.Conceal(_decoded.AsSpan(0, samples));
        Append(_decoded.AsSpan(0, Math.Min(n, samples)));
        Statistics.SamplesConcealed += Math.Min(n, samples);
    }

    private void Append(ReadOnlySpan<float> pcm)
    {
        int n = Math.Min(pcm.Length, _fifo.Length - _fifoCount);
        pcm[..n].CopyTo(_fifo.AsSpan(_fifoCount));
        _fifoCount += n;
    }
}
