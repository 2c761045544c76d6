namespace RoomDevice.Core.Options;

/// <summary>
/// Validates a whole configuration document against every known options section: each bad value
/// and each unknown key is one <see cref="ConfigIssue"/>. Used at start-up for the layered files and
/// by fleet management for a desired config before it is applied.
/// </summary>
public interface IConfigDocumentValidator
{
    /// <summary>
    /// Checks <paramref name="settings"/> (flat keys such as "Buttons:DebounceMs") as if they were
    /// laid over the built-in defaults. <paramref name="source"/> names where they came from.
    /// Returns no issues when the document is acceptable.
    /// </summary>
    IReadOnlyList<ConfigIssue> Validate(IReadOnlyDictionary<string, string?> settings, string source);
}
