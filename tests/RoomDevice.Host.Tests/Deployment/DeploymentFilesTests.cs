using RoomDevice.Host.Cli;
using RoomDevice.Host.Tests.Support;

namespace RoomDevice.Host.Tests.Deployment;

public class DeploymentFilesTests
{
    private static string Repo(string relative) => Path.Combine(DeviceProcess.RepoRoot, relative);

    private static Dictionary<string, List<string>> Unit()
    {
        var d = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string raw in File.ReadAllLines(Repo("scripts/systemd/roomdevice.service")))
        {
            string line = raw.Trim();
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (line.Length == 0 || line[0] is '#' or '[' || eq < 0)
            {
                continue;
            }
            string key = line[..eq];
            if (!d.TryGetValue(key, out List<string>? values))
            {
                d[key] = values = [];
            }
            values.Add(line[(eq + 1)..]);
        }
        return d;
    }

    [Fact]
    public void The_systemd_unit_is_a_hardened_notify_service_with_a_watchdog()
    {
        Dictionary<string, List<string>> u = Unit();
        Assert.Equal(["notify"], u["Type"]);
        Assert.True(int.Parse(u["WatchdogSec"].Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal(["on-failure"], u["Restart"]);
        Assert.Equal(["yes"], u["NoNewPrivileges"]);
        Assert.Equal(["strict"], u["ProtectSystem"]);
        Assert.Equal(["roomdevice"], u["StateDirectory"]);
        Assert.True(int.Parse(u["LimitRTPRIO"].Single(), System.Globalization.CultureInfo.InvariantCulture) >= 60);
        Assert.Contains(" run ", u["ExecStart"].Single(), StringComparison.Ordinal);
        Assert.DoesNotContain("--simulate", u["ExecStart"].Single(), StringComparison.Ordinal);
        // A rejected configuration is not retried in a loop.
        Assert.Equal([ExitCodes.Config.ToString(System.Globalization.CultureInfo.InvariantCulture)], u["RestartPreventExitStatus"]);
        // The restart command and a newly applied config exit with ExitCodes.Restart, which must count as a failure.
        Assert.False(u.ContainsKey("SuccessExitStatus"));
        Assert.NotEqual(ExitCodes.Config, ExitCodes.Restart);
        // systemd waits longer than the host's own clean-stop budget.
        Assert.True(int.Parse(u["TimeoutStopSec"].Single(), System.Globalization.CultureInfo.InvariantCulture) > RoomDevice.Host.Composition.DeviceHost.ShutdownTimeout.TotalSeconds);
    }

    [Theory]
    [InlineData("scripts/run")]
    [InlineData("scripts/install-pi")]
    public async Task The_scripts_are_executable_bash_without_syntax_errors(string script)
    {
        string path = Repo(script);
        if (!OperatingSystem.IsWindows())
        {
            Assert.True((File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0, script + " is not executable");
        }
        Assert.StartsWith("#!/usr/bin/env bash", File.ReadAllText(path), StringComparison.Ordinal);
        ProcessResult r = await DeviceProcess.RunAsync("bash", ["-n", path], TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 0, r.All);
    }

    [Fact]
    public async Task The_pi_installer_refuses_unknown_arguments_and_other_machines_with_a_reason()
    {
        ProcessResult bad = await DeviceProcess.RunAsync("bash", [Repo("scripts/install-pi"), "--frm", "x"], TimeSpan.FromSeconds(30));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("unknown argument '--frm'; accepted: --from DIR", bad.Stderr, StringComparison.Ordinal);
        Assert.Equal("X64", System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString());
        ProcessResult x64 = await DeviceProcess.RunAsync("bash", [Repo("scripts/install-pi")], TimeSpan.FromSeconds(30));
        Assert.Equal(2, x64.ExitCode);
        Assert.Contains("not an arm64 Pi", x64.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_arm64_package_list_names_the_emulator_and_the_native_libraries()
    {
        string[] wanted = [.. File.ReadAllLines(Repo("scripts/deps.d/arm64.txt")).Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0)];
        Assert.Contains("qemu-user-static", wanted);
        foreach (string lib in new[] { "libc6", "libstdc++6", "libicu72", "zlib1g", "libssl3", "libopus0", "libasound2", "libspeexdsp1" })
        {
            Assert.Contains(lib + ":arm64", wanted);
        }
    }

    [Fact]
    public void The_dockerfile_has_a_build_stage_and_an_arm64_runtime_stage()
    {
        string[] from = [.. File.ReadAllLines(Repo("Dockerfile.arm64")).Where(l => l.StartsWith("FROM ", StringComparison.Ordinal))];
        Assert.Equal(2, from.Length);
        Assert.Contains("AS build", from[0], StringComparison.Ordinal);
        Assert.Contains("--platform=linux/arm64", from[1], StringComparison.Ordinal);
        string text = File.ReadAllText(Repo("Dockerfile.arm64"));
        Assert.Contains("-r linux-arm64 --self-contained", text, StringComparison.Ordinal);
        Assert.Contains("COPY --from=build", text, StringComparison.Ordinal);
        foreach (string lib in new[] { "libasound2", "libopus0", "libspeexdsp1", "libgpiod2" })
        {
            Assert.Contains(lib, text, StringComparison.Ordinal);
        }
    }
}
