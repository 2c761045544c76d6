using RoomDevice.Core.Options;

namespace RoomDevice.Core.Tests;

public enum Colour
{
    Red,
    Green,
}

public sealed class Pin
{
    public int Number { get; set; } = -1;
    public bool ActiveLow { get; set; } = true;
}

[ConfigSection("Sample")]
public sealed class SampleOptions : IDeviceOptions
{
    public int Count { get; set; } = 3;
    public double Gain { get; set; } = 1.5;
    public bool Enabled { get; set; } = true;
    public Colour Colour { get; set; } = Colour.Red;
    public TimeSpan Hold { get; set; } = TimeSpan.FromSeconds(1);
    public string Name { get; set; } = "box";
    public string? Note { get; set; }
    public int? Limit { get; set; }
    public Pin Join { get; set; } = new() { Number = 17 };
    public List<int> Pins { get; set; } = [1, 2, 3];
    public string[] Tags { get; set; } = [];
    public Dictionary<string, int> Levels { get; set; } = new() { ["a"] = 1 };
    public List<Pin> Extra { get; set; } = [];

    public void Validate(OptionsValidator v)
    {
        ArgumentNullException.ThrowIfNull(v);
        v.Range(nameof(Count), Count, 1, 10);
        v.Check(Join.Number is >= -1 and <= 27, "Join:Number", Join.Number, "-1 or a GPIO number 0 to 27");
    }
}

[ConfigSection("Other")]
public sealed class OtherOptions : IDeviceOptions
{
    public int Level { get; set; } = 7;

    public void Validate(OptionsValidator v) => ArgumentNullException.ThrowIfNull(v);
}

[ConfigSection("Sample")]
public sealed class ClashingOptions : IDeviceOptions
{
    public void Validate(OptionsValidator v) => ArgumentNullException.ThrowIfNull(v);
}

public sealed class NoSectionOptions : IDeviceOptions
{
    public void Validate(OptionsValidator v) => ArgumentNullException.ThrowIfNull(v);
}

[ConfigSection("Odd")]
public sealed class UnsupportedOptions : IDeviceOptions
{
    public Uri Where { get; set; } = new("http://localhost");

    public void Validate(OptionsValidator v) => ArgumentNullException.ThrowIfNull(v);
}

public class ConfigEngineTests
{
    private static readonly OptionsSchema Schema = new([typeof(SampleOptions), typeof(OtherOptions)]);

    private static ConfigLayer Layer(string source, params (string Key, string? Value)[] values) =>
        new(source, values.ToDictionary(v => v.Key, v => v.Value, StringComparer.OrdinalIgnoreCase));

    private static ConfigEvaluation Eval(params ConfigLayer[] layers) => ConfigEngine.Evaluate(Schema, layers);

    private static ConfigIssue OnlyIssue(ConfigEvaluation e) => Assert.Single(e.Issues);

    [Fact]
    public void Defaults_are_the_property_initialisers_and_name_their_source()
    {
        ConfigEvaluation e = Eval();
        Assert.True(e.IsValid);
        SampleOptions s = e.Get<SampleOptions>();
        Assert.Equal(3, s.Count);
        Assert.Equal([1, 2, 3], s.Pins);
        Assert.Equal(17, s.Join.Number);
        EffectiveValue count = Assert.Single(e.Values, v => v.Key == "Sample:Count");
        Assert.Equal("3", count.Value);
        Assert.Equal(ConfigEngine.DefaultSource, count.Source);
        Assert.Contains(e.Values, v => v.Key == "Sample:Join:ActiveLow" && v.Value == "true");
        Assert.Contains(e.Values, v => v.Key == "Sample:Hold" && v.Value == "00:00:01");
        Assert.DoesNotContain(e.Values, v => v.Key == "Sample:Note");
    }

    [Fact]
    public void Later_layers_win_key_by_key_and_each_value_keeps_its_source()
    {
        ConfigEvaluation e = Eval(
            Layer("site.json", ("Sample:Count", "4"), ("Sample:Gain", "2.5")),
            Layer("device.json", ("Sample:Count", "5")),
            Layer("environment", ("Other:Level", "9")));
        Assert.True(e.IsValid, string.Join("\n", e.Issues));
        Assert.Equal(5, e.Get<SampleOptions>().Count);
        Assert.Equal(2.5, e.Get<SampleOptions>().Gain);
        Assert.Equal(9, e.Get<OtherOptions>().Level);
        Assert.Equal("device.json", e.SourceOf("Sample:Count"));
        Assert.Equal("site.json", e.SourceOf("Sample:Gain"));
        Assert.Equal(ConfigEngine.DefaultSource, e.SourceOf("Sample:Enabled"));
    }

    [Fact]
    public void Keys_are_case_insensitive_and_reported_in_the_options_spelling()
    {
        ConfigEvaluation e = Eval(Layer("f", ("sample:count", "6"), ("SAMPLE:JOIN:NUMBER", "22")));
        Assert.True(e.IsValid, string.Join("\n", e.Issues));
        Assert.Equal(6, e.Get<SampleOptions>().Count);
        Assert.Equal(22, e.Get<SampleOptions>().Join.Number);
        Assert.True(e.Get<SampleOptions>().Join.ActiveLow); // the rest of the nested default stays
        Assert.Contains(e.Values, v => v.Key == "Sample:Join:Number" && v.Value == "22" && v.Source == "f");
    }

    [Fact]
    public void Every_value_type_binds()
    {
        ConfigEvaluation e = Eval(Layer("f",
            ("Sample:Enabled", "False"), ("Sample:Colour", "green"), ("Sample:Hold", "00:00:02.5"),
            ("Sample:Note", "hello"), ("Sample:Limit", "12"), ("Sample:Tags:0", "x"), ("Sample:Tags:1", "y"),
            ("Sample:Levels:b", "2"), ("Sample:Extra:0:Number", "4"), ("Sample:Extra:0:ActiveLow", "false")));
        Assert.True(e.IsValid, string.Join("\n", e.Issues));
        SampleOptions s = e.Get<SampleOptions>();
        Assert.False(s.Enabled);
        Assert.Equal(Colour.Green, s.Colour);
        Assert.Equal(TimeSpan.FromSeconds(2.5), s.Hold);
        Assert.Equal("hello", s.Note);
        Assert.Equal(12, s.Limit);
        Assert.Equal(["x", "y"], s.Tags);
        Assert.Equal(1, s.Levels["a"]);
        Assert.Equal(2, s.Levels["b"]);
        Pin p = Assert.Single(s.Extra);
        Assert.Equal(4, p.Number);
        Assert.False(p.ActiveLow);
    }

    [Fact]
    public void A_list_in_a_higher_layer_replaces_the_whole_list_below()
    {
        ConfigEvaluation e = Eval(
            Layer("board", ("Sample:Pins:0", "10"), ("Sample:Pins:1", "11"), ("Sample:Pins:2", "12"), ("Sample:Pins:3", "13")),
            Layer("device", ("Sample:Pins:0", "20")));
        Assert.True(e.IsValid, string.Join("\n", e.Issues));
        Assert.Equal([20], e.Get<SampleOptions>().Pins);
        Assert.DoesNotContain(e.Values, v => v.Key == "Sample:Pins:1");
    }

    [Fact]
    public void An_empty_list_clears_the_list_below()
    {
        ConfigEvaluation e = Eval(Layer("device", ("Sample:Pins", "")));
        Assert.True(e.IsValid, string.Join("\n", e.Issues));
        Assert.Empty(e.Get<SampleOptions>().Pins);
    }

    [Fact]
    public void List_items_are_ordered_by_position_not_text()
    {
        var values = Enumerable.Range(0, 12).Select(i => ($"Sample:Pins:{i}", (string?)(i + 100).ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        ConfigEvaluation e = Eval(Layer("f", values));
        Assert.Equal(Enumerable.Range(100, 12), e.Get<SampleOptions>().Pins);
        Assert.Equal("Sample:Pins:10", e.Values.Where(v => v.Key.StartsWith("Sample:Pins:", StringComparison.Ordinal)).ElementAt(10).Key);
    }

    [Fact]
    public void A_null_value_leaves_the_layer_below_in_place()
    {
        ConfigEvaluation e = Eval(Layer("a", ("Sample:Count", "4")), Layer("b", ("Sample:Count", null)));
        Assert.Equal(4, e.Get<SampleOptions>().Count);
    }

    public static TheoryData<string, string, string> BadValues => new()
    {
        { "Sample:Count", "three", "a whole number from -2147483648 to 2147483647" },
        { "Sample:Count", "99999999999", "a whole number" },
        { "Sample:Count", "2.5", "a whole number" },
        { "Sample:Gain", "1,5", "a number (use '.' for decimals)" },
        { "Sample:Gain", "NaN", "a number" },
        { "Sample:Enabled", "yes", "true or false" },
        { "Sample:Colour", "blue", "one of: Red, Green" },
        { "Sample:Colour", "1", "one of: Red, Green" },
        { "Sample:Hold", "soon", "a duration" },
        { "Sample:Limit", "many", "or empty for none" },
        { "Sample:Pins:0", "x", "a whole number" },
        { "Sample:Levels:b", "high", "a whole number" },
        { "Sample:Join:ActiveLow", "maybe", "true or false" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_value_that_does_not_parse_is_one_issue_naming_source_key_value_and_what_is_accepted(string key, string value, string accepted)
    {
        ConfigEvaluation e = Eval(Layer("/etc/roomdevice/device.json", (key, value)));
        ConfigIssue i = OnlyIssue(e);
        Assert.Equal(key, i.Key);
        Assert.Equal(value, i.Value);
        Assert.Equal("/etc/roomdevice/device.json", i.Source);
        Assert.Contains(accepted, i.Accepted, StringComparison.Ordinal);
        string text = i.ToString();
        Assert.Contains("/etc/roomdevice/device.json", text, StringComparison.Ordinal);
        Assert.Contains(key, text, StringComparison.Ordinal);
        Assert.Contains("'" + value + "'", text, StringComparison.Ordinal);
        Assert.Contains("accepted: ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_value_keeps_the_default_so_other_sections_still_bind()
    {
        ConfigEvaluation e = Eval(Layer("f", ("Sample:Count", "lots"), ("Other:Level", "8")));
        Assert.Equal(3, e.Get<SampleOptions>().Count);
        Assert.Equal(8, e.Get<OtherOptions>().Level);
        Assert.False(e.IsValid);
    }

    [Fact]
    public void A_range_rule_of_the_options_class_names_the_layer_that_set_the_value()
    {
        ConfigEvaluation e = Eval(Layer("site.json", ("Sample:Count", "5")), Layer("environment RoomDevice__Sample__Count", ("Sample:Count", "11")));
        ConfigIssue i = OnlyIssue(e);
        Assert.Equal("Sample:Count", i.Key);
        Assert.Equal("11", i.Value);
        Assert.Equal("environment RoomDevice__Sample__Count", i.Source);
        Assert.Equal("a number from 1 to 10", i.Accepted);
    }

    [Fact]
    public void A_nested_rule_names_the_nested_key()
    {
        ConfigIssue i = OnlyIssue(Eval(Layer("board.json", ("Sample:Join:Number", "40"))));
        Assert.Equal("Sample:Join:Number", i.Key);
        Assert.Equal("board.json", i.Source);
        Assert.Contains("GPIO", i.Accepted, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_is_reported_with_the_keys_of_its_section()
    {
        ConfigIssue i = OnlyIssue(Eval(Layer("device.json", ("Sample:Cuont", "4"))));
        Assert.Equal("Sample:Cuont", i.Key);
        Assert.Equal("unknown key", i.Problem);
        Assert.Contains("Count", i.Accepted, StringComparison.Ordinal);
        Assert.Contains("Gain", i.Accepted, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_nested_key_lists_the_keys_of_its_own_level()
    {
        ConfigIssue i = OnlyIssue(Eval(Layer("device.json", ("Sample:Join:Pin", "4"))));
        Assert.Equal("Sample:Join:Pin", i.Key);
        Assert.Contains("keys of Sample:Join: ActiveLow, Number", i.Accepted, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_below_a_single_value_is_unknown()
    {
        ConfigIssue i = OnlyIssue(Eval(Layer("device.json", ("Sample:Count:Max", "4"))));
        Assert.Equal("Sample:Count:Max", i.Key);
        Assert.Contains("single value", i.Accepted, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_section_is_reported_with_the_known_sections()
    {
        ConfigIssue i = OnlyIssue(Eval(Layer("site.json", ("Sampel:Count", "4"))));
        Assert.Equal("Sampel:Count", i.Key);
        Assert.Contains("unknown section 'Sampel'", i.Problem, StringComparison.Ordinal);
        Assert.Equal("sections: Other, Sample", i.Accepted);
    }

    [Fact]
    public void A_section_written_as_a_single_value_is_reported()
    {
        ConfigIssue i = OnlyIssue(Eval(Layer("site.json", ("Sample", "on"))));
        Assert.Equal("Sample", i.Key);
        Assert.Contains("section", i.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_list_position_that_is_not_a_number_is_reported()
    {
        ConfigIssue i = OnlyIssue(Eval(Layer("site.json", ("Sample:Pins:first", "4"))));
        Assert.Equal("Sample:Pins:first", i.Key);
        Assert.Contains("list position", i.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_list_written_as_a_single_value_is_reported()
    {
        ConfigIssue i = OnlyIssue(Eval(Layer("site.json", ("Sample:Pins", "1,2"))));
        Assert.Equal("Sample:Pins", i.Key);
        Assert.Contains("JSON array", i.Accepted, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_problems_are_all_reported()
    {
        ConfigEvaluation e = Eval(Layer("f", ("Sample:Count", "x"), ("Sample:Gain", "y"), ("Nope:A", "1")));
        Assert.Equal(3, e.Issues.Count);
    }

    [Fact]
    public void Schema_rejects_two_classes_claiming_one_section()
    {
        var ex = Assert.Throws<ArgumentException>(() => new OptionsSchema([typeof(SampleOptions), typeof(ClashingOptions)]));
        Assert.Contains("'Sample'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Schema_rejects_a_class_without_section_and_a_property_it_cannot_bind()
    {
        Assert.Throws<ArgumentException>(() => new OptionsSchema([typeof(NoSectionOptions)]));
        Assert.Throws<ArgumentException>(() => new OptionsSchema([typeof(string)]));
        var ex = Assert.Throws<NotSupportedException>(() => new OptionsSchema([typeof(UnsupportedOptions)]));
        Assert.Contains("Where", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Schema_from_assemblies_finds_section_classes()
    {
        OptionsSchema s = OptionsSchema.FromAssemblies([typeof(RoomOptions).Assembly]);
        Assert.Equal(["Device", "Identity", "Logging", "Room"], s.Sections.Select(x => x.Name));
    }

    [Fact]
    public void Get_of_an_unknown_section_throws()
    {
        Assert.Throws<InvalidOperationException>(() => Eval().Get<RoomOptions>());
    }
}
