using RoomDevice.Host.Cli;
using RoomDevice.Host.Tests.Support;
using RoomDevice.Management.Storage;

namespace RoomDevice.Host.Tests.Cli;

/// <summary><c>roomdevice claim-code</c>: what facilities staff read off the box for roomctl claim.</summary>
public sealed class ClaimCodeVerbTests
{
    private static string[] Args(TempFolder t, params string[] more) =>
        ["claim-code", "--config", t.Config, "--set", "Device:StateDirectory=" + t.State, "--set", "Identity:DeviceId=rd-claim-1", .. more];

    [Fact]
    public void Before_the_device_ever_ran_it_says_so_and_creates_nothing()
    {
        using var t = new TempFolder(withShippedConfig: true);
        var (exit, output, err) = CliInvoker.Run(Args(t));
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("device rd-claim-1", output, StringComparison.Ordinal);
        Assert.Contains("no claim code yet", err, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(t.State));
    }

    [Fact]
    public void An_unclaimed_device_shows_its_code_and_the_roomctl_line_then_the_room_once_claimed()
    {
        using var t = new TempFolder(withShippedConfig: true);
        string code = new DeviceStateStore(t.State).ClaimCode(); // as the running device makes it
        var (exit, output, _) = CliInvoker.Run(Args(t));
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("unclaimed; claim code " + code, output, StringComparison.Ordinal);
        Assert.Contains($"roomctl claim --code {code} --room", output, StringComparison.Ordinal);

        new DeviceStateStore(t.State).SaveAssignment(new RoomAssignment("Oslo 4.12", "HQ", new DateTimeOffset(2026, 12, 1, 9, 30, 0, TimeSpan.Zero)));
        (exit, output, _) = CliInvoker.Run(Args(t));
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("claimed into room Oslo 4.12 at HQ on 2026-12-01 09:30 UTC", output, StringComparison.Ordinal);
        Assert.DoesNotContain(code, output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_setting_is_refused_with_the_key_and_what_is_accepted()
    {
        using var t = new TempFolder(withShippedConfig: true);
        var (exit, _, err) = CliInvoker.Run(Args(t, "--set", "Identity:DeviceId=Not An Id"));
        Assert.Equal(ExitCodes.Config, exit);
        Assert.Contains("Identity:DeviceId", err, StringComparison.Ordinal);
        Assert.Contains("a-z, 0-9", err, StringComparison.Ordinal);
    }
}
