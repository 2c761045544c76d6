using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RoomDevice.Core.Options;

/// <summary>A configuration file that is not readable JSON; names the file, line and column.</summary>
public sealed class ConfigFileException(string source, long? line, long? column, string problem)
    : Exception(Describe(source, line, column, problem))
{
    /// <summary>The file.</summary>
    public string File { get; } = source;

    /// <summary>1-based line of the problem, when known.</summary>
    public long? Line { get; } = line;

    /// <summary>What is wrong.</summary>
    public string Problem { get; } = problem;

    /// <summary>The same problem as a configuration issue.</summary>
    public ConfigIssue ToIssue() =>
        new("(file)", null, Line is null ? File : File + ":" + Line.Value.ToString(CultureInfo.InvariantCulture), Problem, "a JSON object of sections, e.g. {\"Buttons\": {\"DebounceMs\": 30}}");

    private static string Describe(string source, long? line, long? column, string problem) =>
        line is null ? $"{source}: {problem}" : $"{source}:{line}:{column}: {problem}";
}

/// <summary>Turns a JSON configuration document into flat keys ("Section:Key", lists as "Key:0").</summary>
public static class JsonConfigReader
{
    private static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = 32,
    };

    /// <summary>
    /// Reads <paramref name="json"/>: an object whose members are sections. <paramref name="source"/>
    /// names the document in errors. Throws <see cref="ConfigFileException"/> when it is not such a document.
    /// </summary>
    public static Dictionary<string, string?> Read(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json, Options);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigFileException(source, null, null, $"the document is a JSON {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object of sections");
            }
            var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            {
                if (p.Name.Length == 0 || p.Name.Contains(':', StringComparison.Ordinal))
                {
                    throw new ConfigFileException(source, null, null, $"the name '{p.Name}' cannot be a section (empty, or contains ':')");
                }
                Walk(p.Value, p.Name, result, source);
            }
            return result;
        }
        catch (JsonException ex)
        {
            long? line = ex.LineNumber is long l ? l + 1 : null;
            long? col = ex.BytePositionInLine is long c ? c + 1 : null;
            throw new ConfigFileException(source, line, col, "not valid JSON: " + FirstSentence(ex.Message));
        }
    }

    /// <summary>Reads UTF-8 bytes; see <see cref="Read(string, string)"/>.</summary>
    public static Dictionary<string, string?> Read(ReadOnlySpan<byte> utf8, string source)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            throw new ConfigFileException(source, null, null, "not UTF-8 text");
        }
        return Read(text, source);
    }

    private static void Walk(JsonElement e, string key, Dictionary<string, string?> into, string source)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                bool any = false;
                foreach (JsonProperty p in e.EnumerateObject())
                {
                    any = true;
                    if (p.Name.Length == 0 || p.Name.Contains(':', StringComparison.Ordinal))
                    {
                        throw new ConfigFileException(source, null, null, $"the name '{p.Name}' under '{key}' cannot be a key (empty, or contains ':')");
                    }
                    Walk(p.Value, key + ":" + p.Name, into, source);
                }
                if (!any)
                {
                    into[key] = string.Empty;
                }
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (JsonElement item in e.EnumerateArray())
                {
                    Walk(item, key + ":" + i.ToString(CultureInfo.InvariantCulture), into, source);
                    i++;
                }
                if (i == 0)
                {
                    into[key] = string.Empty; // an empty list replaces the list below it
                }
                break;
            case JsonValueKind.String:
                into[key] = e.GetString();
                break;
            case JsonValueKind.True:
                into[key] = "true";
                break;
            case JsonValueKind.False:
                into[key] = "false";
                break;
            case JsonValueKind.Null:
                into[key] = null;
                break;
            default:
                into[key] = e.GetRawText();
                break;
        }
    }

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
