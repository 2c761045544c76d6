using System.Text;
using System.Text.Json;
using RoomDevice.Management.Storage;

namespace RoomDevice.Management.Commands;

/// <summary>What became of one command id.</summary>
/// <param name="Id">Command id as sent.</param>
/// <param name="Name">Command name.</param>
/// <param name="At">When it was first seen.</param>
/// <param name="Response">The final response body (UTF-8 JSON), or null while still running.</param>
public sealed record LedgerEntry(string Id, string Name, DateTimeOffset At, string? Response);

/// <summary>
/// Remembers command ids for a day so a repeated id is answered with its first result instead of
/// being run again, across restarts. An append-only journal (one JSON line per change, flushed to
/// disk) that is compacted when it grows; a torn last line after a power cut is ignored.
/// </summary>
public sealed class CommandLedger : IDisposable
{
    /// <summary>How long ids are remembered.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly int _maxEntries;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LedgerEntry> _entries = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private int _journalLines;

    /// <summary>Opens the journal in <paramref name="folder"/>.</summary>
    public CommandLedger(string folder, TimeProvider time, int maxEntries = 20000)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _maxEntries = maxEntries;
        Directory.CreateDirectory(folder);
        _path = Path.Combine(folder, "command-ids.jsonl");
        Load();
        Compact();
    }

    /// <summary>Ids currently remembered.</summary>
    public int Count
    {
        get { lock (_gate) { return _entries.Count; } }
    }

    /// <summary>
    /// Records a new id; false (with the earlier entry) when the id is already known and not expired.
    /// </summary>
    public bool TryBegin(string id, string name, out LedgerEntry? existing)
    {
        lock (_gate)
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (_entries.TryGetValue(id, out existing) && now - existing.At < Retention)
            {
                return false;
            }
            existing = null;
            var entry = new LedgerEntry(id, name, now, null);
            Put(entry);
            Append(entry);
            return true;
        }
    }

    /// <summary>Stores the final response of <paramref name="id"/>.</summary>
    public void Complete(string id, ReadOnlySpan<byte> response)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(id, out LedgerEntry? e))
            {
                return;
            }
            var done = e with { Response = Encoding.UTF8.GetString(response) };
            _entries[id] = done;
            Append(done);
        }
    }

    /// <summary>The entry for <paramref name="id"/>, or null.</summary>
    public LedgerEntry? Find(string id)
    {
        lock (_gate)
        {
            return _entries.GetValueOrDefault(id);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // nothing held open: each change opens, appends and syncs the journal, so a fleet of
        // simulated devices in one process does not run out of file handles
    }

    private void Put(LedgerEntry e)
    {
        if (!_entries.ContainsKey(e.Id))
        {
            _order.Enqueue(e.Id);
        }
        _entries[e.Id] = e;
        DateTimeOffset now = _time.GetUtcNow();
        while (_order.Count > 0 && (_entries.Count > _maxEntries || now - _entries[_order.Peek()].At >= Retention))
        {
            _entries.Remove(_order.Dequeue());
        }
    }

    private void Append(LedgerEntry e)
    {
        byte[] line = JsonSerializer.SerializeToUtf8Bytes(e, JsonDefaults.File);
        using (var journal = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            journal.Write(line);
            journal.WriteByte((byte)'\n');
            journal.Flush(flushToDisk: true);
        }
        if (++_journalLines > Math.Max(1000, 3 * _entries.Count))
        {
            Compact();
        }
    }

    private void Load()
    {
        foreach (string file in new[] { _path + AtomicFile.LastGoodSuffix, _path })
        {
            if (!File.Exists(file))
            {
                continue;
            }
            foreach (string line in File.ReadLines(file))
            {
                if (line.Length == 0)
                {
                    continue;
                }
                try
                {
                    LedgerEntry? e = JsonSerializer.Deserialize<LedgerEntry>(line, JsonDefaults.File);
                    if (e is { Id: not null, Name: not null })
                    {
                        Put(e);
                    }
                }
                catch (JsonException)
                {
                    // a line torn by a power cut: everything before it is intact
                }
            }
        }
    }

    private void Compact()
    {
        var sb = new StringBuilder();
        foreach (string id in _order)
        {
            sb.Append(JsonSerializer.Serialize(_entries[id], JsonDefaults.File)).Append('\n');
        }
        AtomicFile.Write(_path, Encoding.UTF8.GetBytes(sb.ToString()));
        _journalLines = _entries.Count;
        if (File.Exists(_path + AtomicFile.LastGoodSuffix))
        {
            File.Delete(_path + AtomicFile.LastGoodSuffix);
        }
    }
}
