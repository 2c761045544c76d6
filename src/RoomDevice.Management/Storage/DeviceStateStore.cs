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
    private const string SubFolder = "mqtt", ClaimFileName = "claim-code.json", AssignmentFileName = "assignment.json";
    private readonly string _dir;
    private readonly Lock _gate = new();

    /// <summary>Opens (creating if needed) the state in <paramref name="stateDirectory"/>.</summary>
    public DeviceStateStore(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        _dir = Path.Combine(stateDirectory, SubFolder);
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
        string dir = Path.Combine(stateDirectory, SubFolder);
        return (ReadClaimCode(dir), ReadAssignment(dir));
    }

    private static string? ReadClaimCode(string dir)
    {
        string? code = AtomicFile.ReadJson<ClaimFile>(Path.Combine(dir, ClaimFileName))?.Code;
        return code is not null && Provisioning.ClaimCodes.IsWellFormed(code) ? code : null;
    }

    private static RoomAssignment? ReadAssignment(string dir) => AtomicFile.ReadJson<RoomAssignment>(Path.Combine(dir, AssignmentFileName));

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
            if (ReadClaimCode(_dir) is string code)
            {
                return code;
            }
            Span<char> chars = stackalloc char[8];
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
            string made = new string(chars[..4]) + "-" + new string(chars[4..]);
            AtomicFile.WriteJson(Path.Combine(_dir, ClaimFileName), new ClaimFile(made), keepLastGood: true);
            return made;
        }
    }

    /// <summary>The room assignment, or null while unclaimed.</summary>
    public RoomAssignment? Assignment()
    {
        lock (_gate)
        {
            return ReadAssignment(_dir);
        }
    }

    /// <summary>Stores the room assignment.</summary>
    public void SaveAssignment(RoomAssignment assignment)
    {
        lock (_gate)
        {
            AtomicFile.WriteJson(Path.Combine(_dir, AssignmentFileName), assignment, keepLastGood: true);
        }
    }

    private sealed record SessionFile(long Session);

    private sealed record ClaimFile(string Code);
}
