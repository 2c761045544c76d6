using RoomDevice.Host.Tests.Support;

namespace RoomDevice.Host.Tests.Cli;

/// <summary>
/// The device runs on arm64 (Pi 4/5): publish the self-contained arm64 build from these sources and
/// run it under user-mode emulation. One publish for the whole class; it takes a while.
/// </summary>
[Collection(DeviceProcessCollection.Name)]
public sealed class Arm64BuildTests : IAsyncLifetime
{
    public const string Qemu = "/usr/bin/qemu-aarch64-static";
    public const string Arm64Loader = "/lib/ld-linux-aarch64.so.1";

    private readonly TempFolder _t = new();
    private string Published => Path.Combine(_t.Path, "publish");

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Qemu), $"{Qemu} is missing: install qemu-user-static (scripts/deps.d/arm64.txt, scripts/install-deps)");
        Assert.True(File.Exists(Arm64Loader), $"{Arm64Loader} is missing: install the arm64 libraries of scripts/deps.d/arm64.txt (libc6:arm64 …)");
        ProcessResult r = await DeviceProcess.RunAsync("dotnet",
        [
            "publish", Path.Combine(DeviceProcess.RepoRoot, "src", "RoomDevice.Host", "RoomDevice.Host.csproj"),
            "-c", "Release", "-r", "linux-arm64", "--self-contained",
            "--artifacts-path", Path.Combine(_t.Path, "artifacts"), "-o", Published,
            "-nologo", "-v", "q", "--disable-build-servers", "-p:UseSharedCompilation=false",
        ], TimeSpan.FromMinutes(20), workingDirectory: DeviceProcess.RepoRoot);
        Assert.True(r.ExitCode == 0, "arm64 publish failed:\n" + r.All);
    }

    public Task DisposeAsync()
    {
        _t.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_arm64_build_is_an_aarch64_program_that_prints_its_version_and_checks_its_config_under_qemu()
    {
        string exe = Path.Combine(Published, "roomdevice");
        byte[] header = new byte[20];
        using (FileStream f = File.OpenRead(exe))
        {
            f.ReadExactly(header);
        }
        Assert.Equal("\u007fELF"u8.ToArray(), header[..4]);
        Assert.Equal(2, header[4]);                                  // 64-bit
        Assert.Equal(0xB7, BitConverter.ToUInt16(header, 18));       // EM_AARCH64
        Assert.True(File.Exists(Path.Combine(Published, "device-config", "boards", "respeaker-4mic-hat.json")), "device-config is not shipped with the build");

        ProcessResult version = await DeviceProcess.RunAsync(Qemu, [exe, "--version"], TimeSpan.FromMinutes(3));
        Assert.True(version.ExitCode == 0, version.All);
        Assert.StartsWith("0.1.0", version.Stdout.Trim(), StringComparison.Ordinal);

        string state = Path.Combine(_t.Path, "state");
        ProcessResult check = await DeviceProcess.RunAsync(Qemu, [exe, "config", "check", "--set", $"Device:StateDirectory={state}"], TimeSpan.FromMinutes(3));
        Assert.True(check.ExitCode == 0, check.All);
        Assert.Contains("Configuration folder: " + Path.Combine(Published, "device-config"), check.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"Leds:Count\s+= 12\s+<- .*respeaker-4mic-hat\.json", check.Stdout);
        Assert.Contains("Configuration is valid.", check.Stdout, StringComparison.Ordinal);

        ProcessResult bad = await DeviceProcess.RunAsync(Qemu, [exe, "config", "check", "--set", $"Device:StateDirectory={state}", "--set", "Leds:Count=0"], TimeSpan.FromMinutes(3));
        Assert.Equal(78, bad.ExitCode);
        Assert.Contains("command line --set Leds:Count: Leds:Count = '0': out of range; accepted: a number from 1 to 256", bad.Stdout, StringComparison.Ordinal);
    }
}
