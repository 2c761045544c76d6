using System.Device.Spi;

namespace RoomDevice.Hardware.Simulation.Spi;

/// <summary>
/// An SPI device in memory: keeps every byte block written (the last <see cref="History"/> of them)
/// so tests and the terminal renderer see exactly what the driver sent. Reads return zeros.
/// </summary>
public sealed class SimulatedSpiDevice(SpiConnectionSettings settings, int history = 64) : SpiDevice
{
    private readonly Lock _gate = new();
    private readonly Queue<byte[]> _writes = new();
    private long _count;
    private bool _disposed;

    /// <summary>Blocks kept.</summary>
    public int History { get; } = history;

    /// <inheritdoc />
    public override SpiConnectionSettings ConnectionSettings { get; } = settings;

    /// <summary>Raised after every write with a copy of the bytes.</summary>
    public event Action<byte[]>? Written;

    /// <summary>Writes so far.</summary>
    public long WriteCount => Interlocked.Read(ref _count);

    /// <summary>True once disposed.</summary>
    public bool IsDisposed
    {
        get { lock (_gate) { return _disposed; } }
    }

    /// <summary>The last block written, or null.</summary>
    public byte[]? LastWrite
    {
        get { lock (_gate) { return _writes.Count == 0 ? null : _writes.Last(); } }
    }

    /// <summary>The kept blocks, oldest first.</summary>
    public IReadOnlyList<byte[]> Writes
    {
        get { lock (_gate) { return [.. _writes]; } }
    }

    /// <inheritdoc />
    public override byte ReadByte() => 0;

    /// <inheritdoc />
    public override void Read(Span<byte> buffer) => buffer.Clear();

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        byte[] copy = buffer.ToArray();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _writes.Enqueue(copy);
            while (_writes.Count > History)
            {
                _writes.Dequeue();
            }
            _count++;
        }
        Written?.Invoke(copy);
    }

    /// <inheritdoc />
    public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        readBuffer.Clear();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        lock (_gate)
        {
            _disposed = true;
        }
        base.Dispose(disposing);
    }
}
