using RoomDevice.Core.Identity;
using RoomDevice.Core.Options;

namespace RoomDevice.Core.Tests;

public class ConfigDocumentTests
{
    private static readonly Type[] CoreTypes = [typeof(RoomOptions), typeof(IdentityOptions), typeof(DeviceOptions), typeof(LoggingOptions)];

    [Fact]
    public void Json_becomes_flat_keys_with_lists_by_position()
    {
        Dictionary<string, string?> flat = JsonConfigReader.Read("""
            // comments are allowed
            { "Room": { "InitialVolume": 40, "VolumeStep": 10, },
              "Leds": { "Pins": [5, 6], "Off": [], "Name": "x", "On": true, "Gone": null, "Empty": {} } }
            """, "site.json");
        Assert.Equal("40", flat["Room:InitialVolume"]);
        Assert.Equal("5", flat["Leds:Pins:0"]);
        Assert.Equal("6", flat["Leds:Pins:1"]);
        Assert.Equal("", flat["Leds:Off"]);
        Assert.Equal("true", flat["leds:on"]);
        Assert.Null(flat["Leds:Gone"]);
        Assert.Equal("", flat["Leds:Empty"]);
    }

    [Fact]
    public void Broken_json_names_the_file_and_line()
    {
        var ex = Assert.Throws<ConfigFileException>(() => JsonConfigReader.Read("{\n \"Room\": {\n  \"InitialVolume\": 40,,\n }\n}", "/etc/roomdevice/site.json"));
        Assert.Equal(3, ex.Line);
        Assert.StartsWith("/etc/roomdevice/site.json:3:", ex.Message, StringComparison.Ordinal);
        ConfigIssue i = ex.ToIssue();
        Assert.Equal("/etc/roomdevice/site.json:3", i.Source);
        Assert.Contains("JSON object of sections", i.Accepted, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1,2]", "not an object")]
    [InlineData("42", "not an object")]
    [InlineData("{\"a:b\": 1}", "cannot be a section")]
    [InlineData("{\"Room\": {\"\": 1}}", "cannot be a key")]
    [InlineData("", "not valid JSON")]
    public void Documents_that_are_not_an_object_of_sections_are_refused(string json, string problem)
    {
        var ex = Assert.Throws<ConfigFileException>(() => JsonConfigReader.Read(json, "x.json"));
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Contains("x.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_are_refused()
    {
        var ex = Assert.Throws<ConfigFileException>(() => JsonConfigReader.Read([0x7B, 0xFF, 0x7D], "x.json"));
        Assert.Contains("UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_document_validator_accepts_a_good_document()
    {
        var v = new ConfigDocumentValidator(CoreTypes);
        IReadOnlyList<ConfigIssue> issues = v.Validate(JsonConfigReader.Read("""{"Room":{"InitialVolume":30},"Identity":{"DeviceId":"rd-lobby-1"}}""", "desired"), "desired v7");
        Assert.Empty(issues);
    }

    [Fact]
    public void The_document_validator_reports_every_problem_with_the_documents_source()
    {
        var v = new ConfigDocumentValidator(CoreTypes);
        IReadOnlyList<ConfigIssue> issues = v.Validate(JsonConfigReader.Read(
            """{"Room":{"InitialVolume":130,"Colour":"red"},"Identity":{"DeviceId":"Lobby 1"},"Fan":{"Speed":3}}""", "desired"), "desired v8");
        Assert.Equal(4, issues.Count);
        Assert.All(issues, i => Assert.Equal("desired v8", i.Source));
        Assert.Contains(issues, i => i.Key == "Room:InitialVolume" && i.Value == "130" && i.Accepted == "a whole number from 0 to 100");
        Assert.Contains(issues, i => i.Key == "Room:Colour" && i.Problem == "unknown key");
        Assert.Contains(issues, i => i.Key == "Identity:DeviceId" && i.Accepted.Contains("a-z", StringComparison.Ordinal));
        Assert.Contains(issues, i => i.Key == "Fan:Speed" && i.Problem.Contains("unknown section", StringComparison.Ordinal));
    }

    [Fact]
    public void Core_options_reject_bad_values()
    {
        var v = new ConfigDocumentValidator(CoreTypes);
        var doc = new Dictionary<string, string?>
        {
            ["Room:VolumeStep"] = "0",
            ["Device:StateDirectory"] = "relative/dir",
            ["Device:Board"] = "My Board",
            ["Device:Name"] = "",
            ["Logging:Level"] = "Loud",
        };
        IReadOnlyList<ConfigIssue> issues = v.Validate(doc, "device.json");
        Assert.Equal(["Device:Board", "Device:Name", "Device:StateDirectory", "Logging:Level", "Room:VolumeStep"], issues.Select(i => i.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Identity_prefers_configuration_then_board_serial_then_machine_id()
    {
        Assert.Equal(new DeviceIdentity("rd-lobby", "configuration"), DeviceIdentity.Resolve("rd-lobby", "10000000abcdef12", "x"));
        DeviceIdentity serial = DeviceIdentity.Resolve(null, "10000000abcdef12\0", "x");
        Assert.Equal("rd-0000abcdef12", serial.Id);
        Assert.Equal("board serial", serial.Source);
        DeviceIdentity m1 = DeviceIdentity.Resolve("", null, "4f2a6c1e9b7d4e3a8c5b2a1f0e9d8c7b\n");
        DeviceIdentity m2 = DeviceIdentity.Resolve(" ", "", "4f2a6c1e9b7d4e3a8c5b2a1f0e9d8c7b");
        Assert.Equal(m1, m2);
        Assert.Equal("machine id", m1.Source);
        Assert.True(DeviceIdentity.IsValid(m1.Id));
        Assert.Throws<ArgumentException>(() => DeviceIdentity.Resolve("Bad Id", null, "x"));
        // The provisioning subtree sits next to device ids: a device may not be called that.
        var reserved = Assert.Throws<ArgumentException>(() => DeviceIdentity.Resolve("provisioning", null, "x"));
        Assert.Contains("reserved name 'provisioning'", reserved.Message, StringComparison.Ordinal);
        Assert.True(DeviceIdentity.IsValid("rd-provisioning"));
        Assert.Throws<InvalidOperationException>(() => DeviceIdentity.Resolve(null, null, null));
    }
}
