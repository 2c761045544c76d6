using System.Globalization;
using System.Reflection;
using RoomDevice.Core.Options;

namespace RoomDevice.Management.Tests.Infrastructure;

/// <summary>
/// Validates a flat config document against the options classes of the management area
/// (binding by property name, then each class's own Validate), reporting unknown sections and keys.
/// </summary>
public sealed class OptionsSectionValidator : IConfigDocumentValidator
{
    private readonly Dictionary<string, Type> _sections = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Mqtt"] = typeof(MqttOptions),
    };

    public IReadOnlyList<ConfigIssue> Validate(IReadOnlyDictionary<string, string?> settings, string source)
    {
        var issues = new List<ConfigIssue>();
        var bySection = settings.GroupBy(kv => kv.Key.Split(':')[0], StringComparer.OrdinalIgnoreCase);
        foreach (var group in bySection)
        {
            if (!_sections.TryGetValue(group.Key, out Type? type))
            {
                issues.Add(new ConfigIssue(group.Key, null, source, "unknown section", string.Join(", ", _sections.Keys)));
                continue;
            }
            object options = Activator.CreateInstance(type)!;
            foreach (var kv in group)
            {
                string name = kv.Key[(group.Key.Length + 1)..];
                PropertyInfo? p = type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
                if (p is null || !p.CanWrite)
                {
                    issues.Add(new ConfigIssue(kv.Key, kv.Value, source, "unknown key", "one of " + string.Join(", ", type.GetProperties().Where(x => x.CanWrite).Select(x => x.Name))));
                    continue;
                }
                Type t = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
                try
                {
                    object? value = kv.Value is null ? null : t == typeof(string) ? kv.Value : Convert.ChangeType(kv.Value, t, CultureInfo.InvariantCulture);
                    p.SetValue(options, value);
                }
                catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
                {
                    issues.Add(new ConfigIssue(kv.Key, kv.Value, source, "not a " + t.Name, t == typeof(bool) ? "true or false" : "a " + t.Name));
                }
            }
            var v = new OptionsValidator(type.GetCustomAttribute<ConfigSectionAttribute>()!.Name, _ => source);
            ((IDeviceOptions)options).Validate(v);
            issues.AddRange(v.Issues);
        }
        return issues;
    }
}
