using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RoomDevice.Management.Protocol;

/// <summary>Why an inbound payload was refused before it reached its handler.</summary>
public sealed record PayloadError(string Code, string Message);

/// <summary>
/// Strict parsing of inbound payloads: size and depth limits, UTF-8, no comments, no trailing
/// commas, no duplicate properties, an object at the top. Every refusal says what is accepted.
/// </summary>
public static class StrictJson
{
    /// <summary>Parses <paramref name="payload"/>; on failure <paramref name="error"/> explains why.</summary>
    public static bool TryParse(ReadOnlySequence<byte> payload, int maxBytes, int maxDepth, out JsonDocument? document, out PayloadError? error)
    {
        document = null;
        error = null;
        if (payload.Length > maxBytes)
        {
            error = new PayloadError("payload_too_large", $"payload is {payload.Length} bytes; accepted: at most {maxBytes} bytes of JSON");
            return false;
        }
        if (payload.Length == 0)
        {
            error = new PayloadError("invalid_json", "payload is empty; accepted: a JSON object in UTF-8");
            return false;
        }
        // JsonDocument checks UTF-8 only when a string is read: check the whole payload up front
        bool utf8 = payload.IsSingleSegment ? System.Text.Unicode.Utf8.IsValid(payload.FirstSpan) : System.Text.Unicode.Utf8.IsValid(payload.ToArray());
        if (!utf8)
        {
            error = new PayloadError("invalid_json", "payload is not valid UTF-8; accepted: one JSON object in UTF-8");
            return false;
        }
        var options = new JsonDocumentOptions
        {
            MaxDepth = maxDepth,
            AllowTrailingCommas = false,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowDuplicateProperties = false,
        };
        try
        {
            document = JsonDocument.Parse(payload, options);
        }
        catch (JsonException ex)
        {
            bool depth = ex.Message.Contains("depth", StringComparison.OrdinalIgnoreCase);
            error = depth
                ? new PayloadError("too_deep", $"JSON nests deeper than {maxDepth} levels; accepted: at most {maxDepth}")
                : new PayloadError("invalid_json", $"not valid JSON ({Describe(ex)}); accepted: one JSON object in UTF-8, no comments, no trailing commas, no duplicate keys");
            return false;
        }
        catch (ArgumentException ex)
        {
            error = new PayloadError("invalid_json", $"not valid UTF-8 JSON ({ex.Message}); accepted: one JSON object in UTF-8");
            return false;
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            error = new PayloadError("invalid_json", $"top level is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}; accepted: a JSON object");
            document.Dispose();
            document = null;
            return false;
        }
        if (document.RootElement.TryGetProperty("v", out JsonElement v) && !(v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int ver) && ver == 1))
        {
            error = new PayloadError("unsupported_version", $"\"v\" is {v.GetRawText()}; accepted: 1 (or absent)");
            document.Dispose();
            document = null;
            return false;
        }
        return true;
    }

    private static string Describe(JsonException ex)
    {
        string msg = ex.Message;
        int cut = msg.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0)
        {
            msg = msg[..cut];
        }
        if (ex.LineNumber is long line && ex.BytePositionInLine is long pos)
        {
            msg += string.Create(CultureInfo.InvariantCulture, $" at line {line + 1}, byte {pos + 1}");
        }
        return msg.Length > 300 ? msg[..300] : msg;
    }

    /// <summary>A short printable form of an untrusted string for messages and logs.</summary>
    public static string Quote(string? s, int max = 80)
    {
        if (s is null)
        {
            return "(none)";
        }
        var sb = new StringBuilder(Math.Min(s.Length, max) + 2);
        sb.Append('\'');
        foreach (char c in s.Length > max ? s[..max] : s)
        {
            sb.Append(char.IsControl(c) ? '?' : c);
        }
        if (s.Length > max)
        {
            sb.Append('…');
        }
        sb.Append('\'');
        return sb.ToString();
    }

    /// <summary>Writes a small JSON object with <paramref name="build"/> and returns its UTF-8 bytes.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("v", 1);
            build(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
