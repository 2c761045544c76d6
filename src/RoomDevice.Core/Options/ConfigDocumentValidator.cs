namespace RoomDevice.Core.Options;

/// <summary>
/// The real <see cref="IConfigDocumentValidator"/>: binds a document over the built-in defaults of
/// the known options classes and returns every bad value, unknown key and unknown section.
/// </summary>
public sealed class ConfigDocumentValidator : IConfigDocumentValidator
{
    /// <summary>Validates against the given options classes.</summary>
    public ConfigDocumentValidator(IEnumerable<Type> optionsTypes) : this(new OptionsSchema(optionsTypes))
    {
    }

    /// <summary>Validates against <paramref name="schema"/>.</summary>
    public ConfigDocumentValidator(OptionsSchema schema)
    {
        Schema = schema ?? throw new ArgumentNullException(nameof(schema));
    }

    /// <summary>The sections this validator knows.</summary>
    public OptionsSchema Schema { get; }

    /// <inheritdoc />
    public IReadOnlyList<ConfigIssue> Validate(IReadOnlyDictionary<string, string?> settings, string source)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return ConfigEngine.Evaluate(Schema, [new ConfigLayer(source, settings)]).Issues;
    }
}
