namespace RoomDevice.Core.Options;

/// <summary>
/// A configuration section's options class. Defaults are the property initialisers (the built-in
/// layer). <see cref="Validate"/> reports every bad value with its key and what is accepted.
/// </summary>
public interface IDeviceOptions
{
    /// <summary>Checks cross-field rules and ranges; report each problem to <paramref name="v"/>.</summary>
    void Validate(OptionsValidator v);
}

/// <summary>Marks an options class with the configuration section it binds to.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ConfigSectionAttribute(string name) : Attribute
{
    /// <summary>Section name, e.g. "Buttons".</summary>
    public string Name { get; } = name;
}

/// <summary>One configuration problem a person can fix.</summary>
/// <param name="Key">Full key, e.g. "Buttons:DebounceMs".</param>
/// <param name="Value">The offending value as written, or null when missing.</param>
/// <param name="Source">Where the value came from (file path, environment, command line, built-in default).</param>
/// <param name="Problem">What is wrong.</param>
/// <param name="Accepted">What would be accepted.</param>
public sealed record ConfigIssue(string Key, string? Value, string Source, string Problem, string Accepted)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Source}: {Key} = {(Value is null ? "(missing)" : "'" + Value + "'")}: {Problem}; accepted: {Accepted}";
}

/// <summary>Collects problems found while validating one section.</summary>
public sealed class OptionsValidator(string section, Func<string, string> sourceOf)
{
    private readonly List<ConfigIssue> _issues = [];

    /// <summary>The section being validated.</summary>
    public string Section { get; } = section;

    /// <summary>Problems found so far.</summary>
    public IReadOnlyList<ConfigIssue> Issues => _issues;

    /// <summary>Reports a problem unless <paramref name="ok"/>. <paramref name="key"/> is relative to the section.</summary>
    public void Check(bool ok, string key, object? value, string accepted, string problem = "out of range")
    {
        if (!ok)
        {
            Report(key, value, problem, accepted);
        }
    }

    /// <summary>Checks that a number lies in [min, max].</summary>
    public void Range(string key, double value, double min, double max) =>
        Check(value >= min && value <= max, key, value, $"a number from {min} to {max}");

    /// <summary>Reports a problem. <paramref name="key"/> is relative to the section.</summary>
    public void Report(string key, object? value, string problem, string accepted)
    {
        string full = Section + ":" + key;
        _issues.Add(new ConfigIssue(full, value is null ? null : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), sourceOf(full), problem, accepted));
    }
}
