using System.Globalization;
using System.Text.Json;

namespace RoomDevice.Management.Storage;

/// <summary>One message waiting to be sent.</summary>
public sealed record QueuedMessage(string Topic, byte[] Payload);

/// <summary>
/// Bounded on-disk queue of events and telemetry produced while offline: one atomically written
/// file per message, named by sequence number. When full the oldest is dropped and the drop counted
/// (the count is persisted too). Survives restarts; a half-written file is never read.
/// </summary>
public sealed class DiskQueue
{
    private readonly string _dir;
    private readonly int _capacity;
    private readonly Lock _gate = new();
    private readonly SortedSet<long> _seqs = [];
    private long _next;
    private long _dropped;

    /// <summary>Opens the queue in <paramref name="folder"/> holding at most <paramref name="capacity"/> messages.</summary>
    public DiskQueue(string folder, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _dir = folder;
        _capacity = capacity;
        Directory.CreateDirectory(_dir);
        AtomicFile.CleanTemps(_dir);
        foreach (string f in Directory.EnumerateFiles(_dir, "*.msg"))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(f), NumberStyles.None, CultureInfo.InvariantCulture, out long seq))
            {
                _seqs.Add(seq);
            }
        }
        _next = _seqs.Count == 0 ? 1 : _seqs.Max + 1;
        _dropped = AtomicFile.ReadJson<DropFile>(DropPath)?.Dropped ?? 0;
        while (_seqs.Count > _capacity)
        {
            DropOldest();
        }
    }

    /// <summary>Messages waiting.</summary>
    public int Count
    {
        get { lock (_gate) { return _seqs.Count; } }
    }

    /// <summary>Messages dropped because the queue was full, since the counter was last reset.</summary>
    public long Dropped
    {
        get { lock (_gate) { return _dropped; } }
    }

    private string DropPath => Path.Combine(_dir, "dropped.json");

    /// <summary>Adds a message, dropping the oldest when full.</summary>
    public void Enqueue(QueuedMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        lock (_gate)
        {
            while (_seqs.Count >= _capacity)
            {
                DropOldest();
            }
            long seq = _next++;
            AtomicFile.WriteJson(PathOf(seq), m);
            _seqs.Add(seq);
        }
    }

    /// <summary>The oldest message without removing it; false when empty.</summary>
    public bool TryPeek(out long seq, out QueuedMessage? message)
    {
        lock (_gate)
        {
            while (_seqs.Count > 0)
            {
                seq = _seqs.Min;
                QueuedMessage? m = null;
                try
                {
                    m = JsonSerializer.Deserialize<QueuedMessage>(File.ReadAllBytes(PathOf(seq)), JsonDefaults.File);
                }
                catch (JsonException)
                {
                }
                catch (IOException)
                {
                }
                if (m is { Topic: not null, Payload: not null })
                {
                    message = m;
                    return true;
                }
                Remove(seq); // unreadable: skip rather than block the queue forever
            }
            seq = 0;
            message = null;
            return false;
        }
    }

    /// <summary>Removes a message once it was sent.</summary>
    public void Remove(long seq)
    {
        lock (_gate)
        {
            if (_seqs.Remove(seq))
            {
                TryDelete(PathOf(seq));
            }
        }
    }

    /// <summary>Returns and resets the drop counter (after it was reported).</summary>
    public long TakeDropped()
    {
        lock (_gate)
        {
            long d = _dropped;
            if (d != 0)
            {
                _dropped = 0;
                AtomicFile.WriteJson(DropPath, new DropFile(0));
            }
            return d;
        }
    }

    private void DropOldest()
    {
        long oldest = _seqs.Min;
        _seqs.Remove(oldest);
        TryDelete(PathOf(oldest));
        _dropped++;
        AtomicFile.WriteJson(DropPath, new DropFile(_dropped));
    }

    private string PathOf(long seq) => Path.Combine(_dir, seq.ToString("D12", CultureInfo.InvariantCulture) + ".msg");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    private sealed record DropFile(long Dropped);
}
