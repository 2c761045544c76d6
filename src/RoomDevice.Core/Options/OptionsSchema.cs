using System.Collections;
using System.Globalization;
using System.Reflection;

namespace RoomDevice.Core.Options;

/// <summary>One configuration section: its name and the options class that binds it.</summary>
public sealed record OptionsSection(string Name, Type Type);

/// <summary>
/// The shape of the whole configuration: every options section and, inside it, every key that can
/// be set, with the type each key must parse as. Built once from the options classes.
/// </summary>
public sealed class OptionsSchema
{
    private readonly Dictionary<string, (OptionsSection Section, ObjectNode Node)> _sections = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Builds the schema of the given options classes (each an <see cref="IDeviceOptions"/> with a <see cref="ConfigSectionAttribute"/>).</summary>
    public OptionsSchema(IEnumerable<Type> optionsTypes)
    {
        ArgumentNullException.ThrowIfNull(optionsTypes);
        foreach (Type t in optionsTypes)
        {
            if (!typeof(IDeviceOptions).IsAssignableFrom(t) || t.IsAbstract)
            {
                throw new ArgumentException($"{t.FullName} is not a concrete IDeviceOptions class", nameof(optionsTypes));
            }
            string name = t.GetCustomAttribute<ConfigSectionAttribute>()?.Name
                ?? throw new ArgumentException($"{t.FullName} has no [ConfigSection(\"Name\")] attribute", nameof(optionsTypes));
            if (t.GetConstructor(Type.EmptyTypes) is null)
            {
                throw new ArgumentException($"{t.FullName} needs a public parameterless constructor", nameof(optionsTypes));
            }
            if (_sections.TryGetValue(name, out var existing))
            {
                if (existing.Section.Type == t)
                {
                    continue;
                }
                throw new ArgumentException($"configuration section '{name}' is claimed by both {existing.Section.Type.FullName} and {t.FullName}", nameof(optionsTypes));
            }
            _sections[name] = (new OptionsSection(name, t), (ObjectNode)SchemaNode.For(t, t.FullName ?? t.Name));
        }
        Sections = [.. _sections.Values.Select(s => s.Section).OrderBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary>Every section, by name.</summary>
    public IReadOnlyList<OptionsSection> Sections { get; }

    /// <summary>
    /// Finds every options class in <paramref name="assemblies"/>: concrete <see cref="IDeviceOptions"/>
    /// types carrying <see cref="ConfigSectionAttribute"/>.
    /// </summary>
    public static OptionsSchema FromAssemblies(IEnumerable<Assembly> assemblies)
    {
        ArgumentNullException.ThrowIfNull(assemblies);
        var types = new List<Type>();
        foreach (Assembly a in assemblies.Distinct())
        {
            Type?[] all;
            try
            {
                all = a.GetTypes();
            }
            catch (ReflectionTypeLoadException ex)
            {
                all = ex.Types;
            }
            types.AddRange(all.Where(t => t is { IsClass: true, IsAbstract: false }
                && typeof(IDeviceOptions).IsAssignableFrom(t)
                && t.GetCustomAttribute<ConfigSectionAttribute>() is not null)!);
        }
        return new OptionsSchema(types.OrderBy(t => t.FullName, StringComparer.Ordinal));
    }

    internal bool TryGetSection(string name, out OptionsSection section, out ObjectNode node)
    {
        if (_sections.TryGetValue(name, out var s))
        {
            section = s.Section;
            node = s.Node;
            return true;
        }
        section = null!;
        node = null!;
        return false;
    }

    /// <summary>Names of all sections, for "accepted" texts.</summary>
    internal string SectionList => string.Join(", ", Sections.Select(s => s.Name));

    /// <summary>
    /// Spells <paramref name="key"/> as the options classes do and finds the collection (list) it
    /// belongs to, if any. Unknown parts are kept as written.
    /// </summary>
    internal (string Canonical, string? ListPrefix) Canonicalize(string key)
    {
        string[] parts = key.Split(':');
        if (!_sections.TryGetValue(parts[0], out var sec))
        {
            return (key, null);
        }
        parts[0] = sec.Section.Name;
        SchemaNode? node = sec.Node;
        string? listPrefix = null;
        for (int i = 1; i < parts.Length && node is not null; i++)
        {
            switch (node)
            {
                case ObjectNode o when o.Properties.TryGetValue(parts[i], out var p):
                    parts[i] = p.Property.Name;
                    node = p.Node;
                    break;
                case ListNode l:
                    listPrefix ??= string.Join(':', parts, 0, i);
                    node = l.Element;
                    break;
                case DictionaryNode d:
                    node = d.Value;
                    break;
                default:
                    node = null;
                    break;
            }
        }
        if (listPrefix is null && node is ListNode)
        {
            // The key names the list itself (e.g. an empty JSON array): it replaces the whole list.
            listPrefix = string.Join(':', parts);
        }
        return (string.Join(':', parts), listPrefix);
    }
}

/// <summary>How one configuration key (or subtree) binds.</summary>
internal abstract class SchemaNode
{
    private static readonly NullabilityInfoContext Nullability = new();

    public abstract Type Type { get; }

    public static SchemaNode For(Type t, string where)
    {
        Type core = Nullable.GetUnderlyingType(t) ?? t;
        if (ScalarNode.IsScalar(core))
        {
            return new ScalarNode(t);
        }
        if (core.IsArray)
        {
            Type e = core.GetElementType()!;
            return new ListNode(core, e, For(e, where + "[]"));
        }
        if (core.IsGenericType)
        {
            Type g = core.GetGenericTypeDefinition();
            Type[] args = core.GetGenericArguments();
            if (g == typeof(List<>) || g == typeof(IList<>) || g == typeof(IReadOnlyList<>) || g == typeof(ICollection<>) || g == typeof(IEnumerable<>) || g == typeof(IReadOnlyCollection<>))
            {
                return new ListNode(core, args[0], For(args[0], where + "[]"));
            }
            if ((g == typeof(Dictionary<,>) || g == typeof(IDictionary<,>) || g == typeof(IReadOnlyDictionary<,>)) && args[0] == typeof(string))
            {
                return new DictionaryNode(core, args[1], For(args[1], where + "{}"));
            }
        }
        if (core.IsClass && !core.IsAbstract && core.GetConstructor(Type.EmptyTypes) is not null && core != typeof(object))
        {
            var props = new Dictionary<string, PropertyBinding>(StringComparer.OrdinalIgnoreCase);
            foreach (PropertyInfo p in core.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (p.GetIndexParameters().Length > 0 || p.GetMethod is null)
                {
                    continue;
                }
                bool settable = p.SetMethod is { IsPublic: true };
                SchemaNode n = For(p.PropertyType, where + "." + p.Name);
                if (!settable && n is ScalarNode)
                {
                    continue; // computed, read-only value: not configuration
                }
                props[p.Name] = new PropertyBinding(p, n, Nullability.Create(p).WriteState == NullabilityState.Nullable);
            }
            return new ObjectNode(core, props);
        }
        throw new NotSupportedException(
            $"{where} has type {t.Name}, which configuration cannot bind; supported: strings, numbers, bool, enums, TimeSpan, arrays/lists, string-keyed dictionaries and classes with a parameterless constructor");
    }
}

internal sealed record PropertyBinding(PropertyInfo Property, SchemaNode Node, bool Nullable);

internal sealed class ObjectNode(Type type, Dictionary<string, PropertyBinding> properties) : SchemaNode
{
    public override Type Type { get; } = type;
    public Dictionary<string, PropertyBinding> Properties { get; } = properties;
    public string KeyList => string.Join(", ", Properties.Values.Select(p => p.Property.Name).Order(StringComparer.Ordinal));
}

internal sealed class ListNode(Type type, Type elementType, SchemaNode element) : SchemaNode
{
    public override Type Type { get; } = type;
    public Type ElementType { get; } = elementType;
    public SchemaNode Element { get; } = element;

    public object Create(IList items)
    {
        if (Type.IsArray)
        {
            var arr = Array.CreateInstance(ElementType, items.Count);
            items.CopyTo(arr, 0);
            return arr;
        }
        return items;
    }

    public IList NewList() => (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(ElementType))!;
}

internal sealed class DictionaryNode(Type type, Type valueType, SchemaNode value) : SchemaNode
{
    public override Type Type { get; } = type;
    public Type ValueType { get; } = valueType;
    public SchemaNode Value { get; } = value;

    public IDictionary NewDictionary() =>
        (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), ValueType), StringComparer.OrdinalIgnoreCase)!;
}

internal sealed class ScalarNode(Type type) : SchemaNode
{
    public override Type Type { get; } = type;

    public static bool IsScalar(Type t) =>
        t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(TimeSpan);

    /// <summary>What a person may write for this key.</summary>
    public string Accepted
    {
        get
        {
            Type t = Nullable.GetUnderlyingType(Type) ?? Type;
            string a = t switch
            {
                _ when t == typeof(bool) => "true or false",
                _ when t.IsEnum => "one of: " + string.Join(", ", Enum.GetNames(t)),
                _ when t == typeof(TimeSpan) => "a duration written hh:mm:ss[.fff], e.g. 00:00:01.500",
                _ when t == typeof(double) || t == typeof(float) || t == typeof(decimal) => "a number (use '.' for decimals)",
                _ when t == typeof(string) => "text",
                _ when t == typeof(char) => "a single character",
                _ => string.Create(CultureInfo.InvariantCulture, $"a whole number from {t.GetField("MinValue")!.GetValue(null)} to {t.GetField("MaxValue")!.GetValue(null)}"),
            };
            return Nullable.GetUnderlyingType(Type) is null ? a : a + ", or empty for none";
        }
    }

    public bool TryParse(string? text, out object? value)
    {
        Type? under = Nullable.GetUnderlyingType(Type);
        Type t = under ?? Type;
        value = null;
        if (t == typeof(string))
        {
            value = text;
            return true;
        }
        if (string.IsNullOrWhiteSpace(text))
        {
            return under is not null;
        }
        string s = text.Trim();
        CultureInfo inv = CultureInfo.InvariantCulture;
        switch (Type.GetTypeCode(t))
        {
            case TypeCode.Boolean:
                if (bool.TryParse(s, out bool b)) { value = b; return true; }
                return false;
            case TypeCode.Char:
                if (s.Length == 1) { value = s[0]; return true; }
                return false;
            case TypeCode.Double:
                if (double.TryParse(s, NumberStyles.Float, inv, out double d) && double.IsFinite(d)) { value = d; return true; }
                return false;
            case TypeCode.Single:
                if (float.TryParse(s, NumberStyles.Float, inv, out float f) && float.IsFinite(f)) { value = f; return true; }
                return false;
            case TypeCode.Decimal:
                if (decimal.TryParse(s, NumberStyles.Float, inv, out decimal m)) { value = m; return true; }
                return false;
            default:
                break;
        }
        if (t.IsEnum)
        {
            // Names only: a bare number would silently pick whatever member has that value.
            if (!char.IsAsciiDigit(s[0]) && s[0] != '-' && Enum.TryParse(t, s, ignoreCase: true, out object? e) && Enum.IsDefined(t, e!))
            {
                value = e;
                return true;
            }
            return false;
        }
        if (t == typeof(TimeSpan))
        {
            if (TimeSpan.TryParse(s, inv, out TimeSpan ts)) { value = ts; return true; }
            return false;
        }
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, inv, out long l) || (t == typeof(ulong) && ulong.TryParse(s, NumberStyles.None, inv, out _)))
        {
            try
            {
                value = t == typeof(ulong) ? ulong.Parse(s, inv) : Convert.ChangeType(l, t, inv);
                return true;
            }
            catch (OverflowException)
            {
                return false;
            }
        }
        return false;
    }

    public static string? Format(object? v) => v switch
    {
        null => null,
        bool b => b ? "true" : "false",
        TimeSpan ts => ts.ToString("c", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString(),
    };
}
