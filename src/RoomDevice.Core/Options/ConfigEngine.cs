using System.Collections;
using System.Globalization;

namespace RoomDevice.Core.Options;

/// <summary>One layer of configuration: flat keys ("Buttons:DebounceMs") and where they came from.</summary>
/// <param name="Source">A file path, "environment", "command line" …; appears in every issue and in <c>config check</c>.</param>
/// <param name="Values">Flat keys, case-insensitive, ':' between levels.</param>
public sealed record ConfigLayer(string Source, IReadOnlyDictionary<string, string?> Values);

/// <summary>One key of the effective configuration and the layer that set it.</summary>
public sealed record EffectiveValue(string Key, string? Value, string Source);

/// <summary>The outcome of layering and binding: effective values, bound options and every problem.</summary>
public sealed class ConfigEvaluation
{
    internal ConfigEvaluation(IReadOnlyList<EffectiveValue> values, IReadOnlyList<ConfigIssue> issues, IReadOnlyDictionary<Type, IDeviceOptions> options)
    {
        Values = values;
        Issues = issues;
        Options = options;
    }

    /// <summary>Every effective key (defaults included), sorted, each with its source.</summary>
    public IReadOnlyList<EffectiveValue> Values { get; }

    /// <summary>Bad values, unknown keys and unknown sections; empty when the configuration is acceptable.</summary>
    public IReadOnlyList<ConfigIssue> Issues { get; }

    /// <summary>Each section's options class, bound and validated.</summary>
    public IReadOnlyDictionary<Type, IDeviceOptions> Options { get; }

    /// <summary>True when there are no issues.</summary>
    public bool IsValid => Issues.Count == 0;

    /// <summary>The bound options of one section.</summary>
    public T Get<T>() where T : class, IDeviceOptions =>
        Options.TryGetValue(typeof(T), out IDeviceOptions? o) ? (T)o
            : throw new InvalidOperationException($"{typeof(T).Name} is not a known options section");

    /// <summary>The effective values as flat key/value pairs, e.g. to build an IConfiguration.</summary>
    public IEnumerable<KeyValuePair<string, string?>> AsPairs() => Values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value));

    /// <summary>The source of <paramref name="key"/>, or the built-in default.</summary>
    public string SourceOf(string key) =>
        Values.FirstOrDefault(v => string.Equals(v.Key, key, StringComparison.OrdinalIgnoreCase))?.Source ?? ConfigEngine.DefaultSource;
}

/// <summary>
/// Lays configuration layers over the built-in defaults (lowest first), binds every section to its
/// options class and collects every problem. A later layer overrides single keys; a list set by a
/// later layer replaces the whole list. Pure: no files, no environment.
/// </summary>
public static class ConfigEngine
{
    /// <summary>Source named for values nobody set.</summary>
    public const string DefaultSource = "built-in default";

    /// <summary>Layers <paramref name="layers"/> (lowest first) over the defaults of <paramref name="schema"/>.</summary>
    public static ConfigEvaluation Evaluate(OptionsSchema schema, IEnumerable<ConfigLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(layers);
        var effective = new Dictionary<string, (string Key, string? Value, string Source)>(StringComparer.OrdinalIgnoreCase);
        foreach (OptionsSection s in schema.Sections)
        {
            object defaults = Activator.CreateInstance(s.Type)!;
            schema.TryGetSection(s.Name, out _, out ObjectNode node);
            foreach (var (k, v) in Flatten(node, s.Name, defaults))
            {
                effective[k] = (k, v, DefaultSource);
            }
        }
        foreach (ConfigLayer layer in layers)
        {
            var replaced = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (rawKey, value) in layer.Values.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
            {
                if (value is null)
                {
                    continue;
                }
                (string key, string? listPrefix) = schema.Canonicalize(rawKey);
                if (listPrefix is not null && replaced.Add(listPrefix))
                {
                    foreach (string old in effective.Keys.Where(k => IsAtOrUnder(k, listPrefix)).ToList())
                    {
                        effective.Remove(old);
                    }
                }
                effective[key] = (key, value, layer.Source);
            }
        }

        var issues = new List<ConfigIssue>();
        var options = new Dictionary<Type, IDeviceOptions>();
        var consumed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var values = effective.ToDictionary(p => p.Key, p => p.Value.Value, StringComparer.OrdinalIgnoreCase);
        string SourceOf(string k) => effective.TryGetValue(k, out var e) ? e.Source : DefaultSource;

        foreach (OptionsSection s in schema.Sections)
        {
            schema.TryGetSection(s.Name, out _, out ObjectNode node);
            var binder = new Binder(values, consumed, issues, SourceOf);
            var instance = (IDeviceOptions)Activator.CreateInstance(s.Type)!;
            binder.BindObject(node, s.Name, instance);
            var v = new OptionsValidator(s.Name, SourceOf);
            instance.Validate(v);
            issues.AddRange(v.Issues);
            options[s.Type] = instance;
        }

        foreach (var (key, value, source) in effective.Values.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (consumed.Contains(key))
            {
                continue;
            }
            string section = key.Split(':')[0];
            if (!schema.TryGetSection(section, out _, out ObjectNode secNode))
            {
                issues.Add(new ConfigIssue(key, value, source, $"unknown section '{section}'", "sections: " + schema.SectionList));
                continue;
            }
            issues.Add(new ConfigIssue(key, value, source, "unknown key", AcceptedKeysNear(secNode, key)));
        }

        var list = effective.Values
            .OrderBy(e => e.Key.Split(':')[0], StringComparer.Ordinal)
            .ThenBy(e => e.Key, KeyComparer.Instance)
            .Select(e => new EffectiveValue(e.Key, e.Value, e.Source))
            .ToList();
        return new ConfigEvaluation(list, issues, options);
    }

    private static bool IsAtOrUnder(string key, string prefix) =>
        key.Equals(prefix, StringComparison.OrdinalIgnoreCase)
        || (key.Length > prefix.Length && key[prefix.Length] == ':' && key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

    private static string AcceptedKeysNear(ObjectNode section, string key)
    {
        string[] parts = key.Split(':');
        ObjectNode node = section;
        string prefix = parts[0];
        for (int i = 1; i < parts.Length - 1; i++)
        {
            if (node.Properties.TryGetValue(parts[i], out var p) && p.Node is ObjectNode child)
            {
                node = child;
                prefix += ":" + p.Property.Name;
                continue;
            }
            if (node.Properties.TryGetValue(parts[i], out var q) && q.Node is ScalarNode)
            {
                return $"{prefix}:{q.Property.Name} is a single value, not a section";
            }
            break;
        }
        return $"keys of {prefix}: {node.KeyList}";
    }

    /// <summary>Flat keys of an options object's current values (used for the built-in defaults).</summary>
    internal static IEnumerable<(string Key, string? Value)> Flatten(SchemaNode node, string prefix, object? value)
    {
        if (value is null)
        {
            yield break;
        }
        switch (node)
        {
            case ScalarNode:
                yield return (prefix, ScalarNode.Format(value));
                break;
            case ObjectNode o:
                foreach (PropertyBinding p in o.Properties.Values.OrderBy(p => p.Property.Name, StringComparer.Ordinal))
                {
                    foreach (var kv in Flatten(p.Node, prefix + ":" + p.Property.Name, p.Property.GetValue(value)))
                    {
                        yield return kv;
                    }
                }
                break;
            case ListNode l:
                int i = 0;
                foreach (object? item in (IEnumerable)value)
                {
                    foreach (var kv in Flatten(l.Element, prefix + ":" + i.ToString(CultureInfo.InvariantCulture), item))
                    {
                        yield return kv;
                    }
                    i++;
                }
                break;
            case DictionaryNode d:
                foreach (DictionaryEntry e in (IDictionary)value)
                {
                    foreach (var kv in Flatten(d.Value, prefix + ":" + e.Key, e.Value))
                    {
                        yield return kv;
                    }
                }
                break;
            default:
                break;
        }
    }

    /// <summary>Sorts "X:10" after "X:9".</summary>
    private sealed class KeyComparer : IComparer<string>
    {
        public static readonly KeyComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            string[] a = (x ?? "").Split(':'), b = (y ?? "").Split(':');
            for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                int c = int.TryParse(a[i], CultureInfo.InvariantCulture, out int ia) && int.TryParse(b[i], CultureInfo.InvariantCulture, out int ib)
                    ? ia.CompareTo(ib)
                    : string.Compare(a[i], b[i], StringComparison.OrdinalIgnoreCase);
                if (c != 0)
                {
                    return c;
                }
            }
            return a.Length.CompareTo(b.Length);
        }
    }

    /// <summary>Binds flat keys into options objects, reporting each value that does not parse.</summary>
    private sealed class Binder(
        Dictionary<string, string?> values,
        HashSet<string> consumed,
        List<ConfigIssue> issues,
        Func<string, string> sourceOf)
    {
        public void BindObject(ObjectNode node, string prefix, object target)
        {
            if (values.TryGetValue(prefix, out string? own) && !string.IsNullOrEmpty(own))
            {
                consumed.Add(prefix);
                issues.Add(new ConfigIssue(prefix, own, sourceOf(prefix), "a section cannot hold a single value", "keys of " + prefix + ": " + node.KeyList));
            }
            else if (values.ContainsKey(prefix))
            {
                consumed.Add(prefix); // an empty object: nothing to set
            }
            foreach (PropertyBinding p in node.Properties.Values)
            {
                string key = prefix + ":" + p.Property.Name;
                bool canSet = p.Property.SetMethod is { IsPublic: true };
                switch (p.Node)
                {
                    case ScalarNode s:
                        if (values.TryGetValue(key, out string? text))
                        {
                            consumed.Add(key);
                            if (s.TryParse(text, out object? v))
                            {
                                p.Property.SetValue(target, v);
                            }
                            else
                            {
                                issues.Add(new ConfigIssue(key, text, sourceOf(key), "not a valid " + Describe(s.Type), s.Accepted));
                            }
                        }
                        break;
                    case ObjectNode o:
                        if (!HasAny(key))
                        {
                            break;
                        }
                        object? child = p.Property.GetValue(target);
                        if (child is null && canSet)
                        {
                            child = Activator.CreateInstance(o.Type)!;
                            p.Property.SetValue(target, child);
                        }
                        if (child is not null)
                        {
                            BindObject(o, key, child);
                        }
                        break;
                    case ListNode l:
                        if (HasAny(key))
                        {
                            IList items = BindList(l, key);
                            SetCollection(p, target, l.Create(items), items);
                        }
                        break;
                    case DictionaryNode d:
                        if (HasAny(key))
                        {
                            IDictionary dict = BindDictionary(d, key, p.Property.GetValue(target) as IDictionary);
                            if (canSet)
                            {
                                p.Property.SetValue(target, dict);
                            }
                        }
                        break;
                    default:
                        break;
                }
            }
        }

        private static void SetCollection(PropertyBinding p, object target, object value, IList items)
        {
            if (p.Property.SetMethod is { IsPublic: true })
            {
                p.Property.SetValue(target, value);
            }
            else if (p.Property.GetValue(target) is IList existing && !existing.IsFixedSize)
            {
                existing.Clear();
                foreach (object? i in items)
                {
                    existing.Add(i);
                }
            }
        }

        private bool HasAny(string key) =>
            values.ContainsKey(key) || values.Keys.Any(k => k.Length > key.Length && k[key.Length] == ':' && k.StartsWith(key, StringComparison.OrdinalIgnoreCase));

        private IEnumerable<string> ChildNames(string key) =>
            values.Keys
                .Where(k => k.Length > key.Length && k[key.Length] == ':' && k.StartsWith(key, StringComparison.OrdinalIgnoreCase))
                .Select(k => k[(key.Length + 1)..].Split(':')[0])
                .Distinct(StringComparer.OrdinalIgnoreCase);

        private IList BindList(ListNode l, string key)
        {
            IList items = l.NewList();
            if (values.TryGetValue(key, out string? own))
            {
                consumed.Add(key);
                if (!string.IsNullOrEmpty(own))
                {
                    issues.Add(new ConfigIssue(key, own, sourceOf(key), "a list cannot be written as a single value", "a JSON array, or keys " + key + ":0, " + key + ":1 …"));
                }
            }
            var indexed = new List<(int Index, string Name)>();
            foreach (string name in ChildNames(key))
            {
                if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int idx))
                {
                    indexed.Add((idx, name));
                }
                else
                {
                    string bad = key + ":" + name;
                    foreach (string k in values.Keys.Where(k => IsAtOrUnder(k, bad)))
                    {
                        consumed.Add(k);
                        issues.Add(new ConfigIssue(k, values[k], sourceOf(k), $"'{name}' is not a list position", "positions 0, 1, 2 … (a JSON array)"));
                    }
                }
            }
            foreach (var (_, name) in indexed.OrderBy(x => x.Index))
            {
                if (TryBindValue(l.Element, key + ":" + name, out object? v))
                {
                    items.Add(v);
                }
            }
            return items;
        }

        private IDictionary BindDictionary(DictionaryNode d, string key, IDictionary? existing)
        {
            IDictionary dict = d.NewDictionary();
            if (existing is not null)
            {
                foreach (DictionaryEntry e in existing)
                {
                    dict[e.Key] = e.Value;
                }
            }
            if (values.ContainsKey(key))
            {
                consumed.Add(key);
            }
            foreach (string name in ChildNames(key))
            {
                if (TryBindValue(d.Value, key + ":" + name, out object? v))
                {
                    dict[name] = v;
                }
            }
            return dict;
        }

        private bool TryBindValue(SchemaNode node, string key, out object? value)
        {
            value = null;
            switch (node)
            {
                case ScalarNode s:
                    if (!values.TryGetValue(key, out string? text))
                    {
                        // Deeper keys under a single value.
                        foreach (string k in values.Keys.Where(k => IsAtOrUnder(k, key)))
                        {
                            consumed.Add(k);
                            issues.Add(new ConfigIssue(k, values[k], sourceOf(k), "unknown key", key + " is a single value, not a section"));
                        }
                        return false;
                    }
                    consumed.Add(key);
                    foreach (string k in values.Keys.Where(k => k.Length > key.Length && IsAtOrUnder(k, key)))
                    {
                        consumed.Add(k);
                        issues.Add(new ConfigIssue(k, values[k], sourceOf(k), "unknown key", key + " is a single value, not a section"));
                    }
                    if (s.TryParse(text, out value))
                    {
                        return true;
                    }
                    issues.Add(new ConfigIssue(key, text, sourceOf(key), "not a valid " + Describe(s.Type), s.Accepted));
                    return false;
                case ObjectNode o:
                    value = Activator.CreateInstance(o.Type)!;
                    BindObject(o, key, value);
                    return true;
                case ListNode l:
                    IList items = BindList(l, key);
                    value = l.Create(items);
                    return true;
                case DictionaryNode d:
                    value = BindDictionary(d, key, null);
                    return true;
                default:
                    return false;
            }
        }

        private static string Describe(Type t)
        {
            Type u = Nullable.GetUnderlyingType(t) ?? t;
            return u switch
            {
                _ when u == typeof(bool) => "true/false value",
                _ when u.IsEnum => "choice",
                _ when u == typeof(TimeSpan) => "duration",
                _ when u == typeof(double) || u == typeof(float) || u == typeof(decimal) => "number",
                _ when u == typeof(char) => "character",
                _ => "whole number",
            };
        }
    }
}
