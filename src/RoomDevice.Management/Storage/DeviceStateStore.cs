using System.Security.Cryptography;

namespace RoomDevice.Management.Storage;

/// <summary>Where the device is installed, set by a claim.</summary>
public sealed record RoomAssignment(string Room, string? Site, DateTimeOffset ClaimedAt);

/// <summary>
/// Small pieces of management state that survive restarts: the MQTT session counter, the claim
/// code and the room assignment. Each is its own atomically written file in the state directory.
/// </summary>
public sealed class DeviceStateStore
{
    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // no 0/O, 1/I
    private readonly string _dir;
    private readonly Lock _gate = new();

    /// <summary>Opens (creating if needed) the state in <paramref name="stateDirectory"/>.</summary>
    public DeviceStateStore(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        _dir = Path.Combine(stateDirectory, "mqtt");
        Directory.CreateDirectory(_dir);
        AtomicFile.CleanTemps(_dir);
    }

    /// <summary>
    /// The claim code and room assignment as stored in <paramref name="stateDirectory"/>, read only:
    /// nothing is created, so a tool run by another user cannot leave files the device cannot write.
    /// Both are null when the device has not run yet.
    /// </summary>
    public static (string? ClaimCode, RoomAssignment? Assignment) Peek(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        string dir = Path.Combine(stateDirectory, "mqtt");
        string? code = AtomicFile.ReadJson<ClaimFile>(Path.Combine(dir, "claim-code.json"))?.Code;
        return (code is not null && Provisioning.ClaimCodes.IsWellFormed(code) ? code : null,
            AtomicFile.ReadJson<RoomAssignment>(Path.Combine(dir, "assignment.json")));
    }

    /// <summary>Folder of the management state files.</summary>
    public string Folder => _dir;

    /// <summary>Increments and stores the session counter; returns the new value.</summary>
    public long NextSession()
    {
        lock (_gate)
        {
            string path = Path.Combine(_dir, "session.json");
            long current = AtomicFile.ReadJson<SessionFile>(path)?.Session ?? 0;
            long next = current + 1;
            AtomicFile.WriteJson(path, new SessionFile(next), keepLastGood: true);
            return next;
        }
    }

    /// <summary>The claim code, made once and then stable for the life of the device.</summary>
    public string ClaimCode()
    {
        lock (_gate)
        {
            string path = Path.Combine(_dir, "claim-code.json");
            string? code = AtomicFile.ReadJson<ClaimFile>(path)?.Code;
            if (code is not null && Provisioning.ClaimCodes.IsWellFormed(code))
            {
                return code;
            }
            Span<char> chars = stackalloc char[8];
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
            code = new string(chars[..4]) + "-" + new string(chars[4..]);
            AtomicFile.WriteJson(path, new ClaimFile(code), keepLastGood: true);
            return code;
        }
    }

    /// <summary>The room assignment, or null while unclaimed.</summary>
    public RoomAssignment? Assignment()
    {
        lock (_gate)
        {
            return AtomicFile.ReadJson<RoomAssignment>(Path.Combine(_dir, "assignment.json"));
        }
    }

    /// <summary>Stores the room assignment.</summary>
    public void SaveAssignment(RoomAssignment assignment)
    {
        lock (_gate)
        {
            AtomicFile.WriteJson(Path.Combine(_dir, "assignment.json"), assignment, keepLastGood: true);
        }
    }

    private sealed record SessionFile(long Session);

    private sealed record ClaimFile(string Code);
}
