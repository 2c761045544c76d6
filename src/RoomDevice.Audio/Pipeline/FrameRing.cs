namespace RoomDevice.Audio.Pipeline;

/// <summary>
/// Single-producer single-consumer ring of fixed-size float frames. Lock-free and allocation-free
/// after construction: the writer only copies in and counts overruns, the reader only copies out
/// and counts underruns, so a real-time thread can sit on either end.
/// </summary>
public sealed class FrameRing
{
    private readonly float[] _buffer;
    private readonly int _capacity;
    private long _written;
    private long _read;
    private long _overruns;
    private long _underruns;
    private readonly ManualResetEventSlim _dataAvailable = new(false);

    /// <summary>Creates a ring holding up to <paramref name="capacityFrames"/> frames of <paramref name="frameSamples"/>.</summary>
    public FrameRing(int frameSamples, int capacityFrames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frameSamples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityFrames, 2);
        FrameSamples = frameSamples;
        _capacity = capacityFrames;
        _buffer = new float[frameSamples * capacityFrames];
    }

    /// <summary>Samples per frame.</summary>
    public int FrameSamples { get; }

    /// <summary>Frames the ring can hold.</summary>
    public int Capacity => _capacity;

    /// <summary>Frames waiting to be read.</summary>
    public int Count => (int)(Volatile.Read(ref _written) - Volatile.Read(ref _read));

    /// <summary>Writes refused because the ring was full.</summary>
    public long Overruns => Interlocked.Read(ref _overruns);

    /// <summary>Reads refused because the ring was empty.</summary>
    public long Underruns => Interlocked.Read(ref _underruns);

    /// <summary>Copies one frame in; false (and an overrun counted) when full.</summary>
    public bool TryWrite(ReadOnlySpan<float> frame)
    {
        if (frame.Length != FrameSamples)
        {
            throw new ArgumentException($"frame has {frame.Length} samples; this ring carries {FrameSamples}", nameof(frame));
        }
        long w = Volatile.Read(ref _written);
        if (w - Volatile.Read(ref _read) >= _capacity)
        {
            Interlocked.Increment(ref _overruns);
            return false;
        }
        frame.CopyTo(_buffer.AsSpan((int)(w % _capacity) * FrameSamples, FrameSamples));
        Volatile.Write(ref _written, w + 1);
        _dataAvailable.Set();
        return true;
    }

    /// <summary>Copies the oldest frame out; false (and an underrun counted) when empty.</summary>
    public bool TryRead(Span<float> frame)
    {
        if (frame.Length != FrameSamples)
        {
            throw new ArgumentException($"frame has {frame.Length} samples; this ring carries {FrameSamples}", nameof(frame));
        }
        long r = Volatile.Read(ref _read);
        if (Volatile.Read(ref _written) - r <= 0)
        {
            Interlocked.Increment(ref _underruns);
            return false;
        }
        _buffer.AsSpan((int)(r % _capacity) * FrameSamples, FrameSamples).CopyTo(frame);
        Volatile.Write(ref _read, r + 1);
        return true;
    }

    /// <summary>
    /// Blocks the reader until a frame is waiting or <paramref name="millisecondsTimeout"/> passes;
    /// true when a frame is waiting. Allocation-free, so a media thread can pace itself on the ring.
    /// </summary>
    public bool WaitForData(int millisecondsTimeout)
    {
        _dataAvailable.Reset();
        if (Count > 0)
        {
            return true;
        }
        return _dataAvailable.Wait(millisecondsTimeout) || Count > 0;
    }

    /// <summary>Drops every waiting frame (reader side only).</summary>
    public void Clear() => Volatile.Write(ref _read, Volatile.Read(ref _written));
}
