using System.Diagnostics;
using System.Text;
using RoomDevice.Management.Fleet;
using RoomDevice.Management.Tests.Infrastructure;
using Xunit;

namespace RoomDevice.Management.Tests;

public sealed class SecurityTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    internal static string RepoFile(string relative, [System.Runtime.CompilerServices.CallerFilePath] string here = "")
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(here) ?? "." })
        {
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, relative);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    private static void MakeCerts(string dir, params string[] devices)
    {
        var psi = new ProcessStartInfo(RepoFile("scripts/make-dev-certs")) { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(dir);
        foreach (string d in devices)
        {
            psi.ArgumentList.Add("--device");
            psi.ArgumentList.Add(d);
        }
        using Process p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "make-dev-certs failed: " + err);
    }

    [Fact]
    public async Task Mutual_tls_with_the_generated_certificates_and_a_wrong_certificate_is_refused()
    {
        string rogue = Directory.CreateTempSubdirectory("rogue-ca-").FullName;
        try
        {
            MakeCerts(rogue, "rd-tls-bad"); // a different CA: not trusted by the broker
            await using Mosquitto broker = await Mosquitto.StartAsync(
                "listener {port} 127.0.0.1\ncafile {dir}/ca.crt\ncertfile {dir}/broker.crt\nkeyfile {dir}/broker.key\nrequire_certificate true\nuse_identity_as_username true\n",
                dir => MakeCerts(dir, "rd-tls-good", "rd-tls-bad"),
                plainListener: false);
            string dir = broker.Folder;
            void Tls(MqttOptions o, string certDir, string id)
            {
                o.UseTls = true;
                o.CaFile = Path.Combine(dir, "ca.crt");
                o.ClientCertificateFile = Path.Combine(certDir, id + ".crt");
                o.ClientKeyFile = Path.Combine(certDir, id + ".key");
            }

            await using TestDevice good = new TestDevice(broker.Port, id: "rd-tls-good", configure: o => Tls(o, dir, "rd-tls-good")).Start();
            await using TestDevice bad = new TestDevice(broker.Port, id: "rd-tls-bad", configure: o => Tls(o, rogue, "rd-tls-bad")).Start();
            await using TestDevice none = new TestDevice(broker.Port, id: "rd-tls-none", configure: o => { o.UseTls = true; o.CaFile = Path.Combine(dir, "ca.crt"); }).Start();
            await good.WaitConnectedAsync();

            var tls = new FleetConnectionOptions("127.0.0.1", broker.Port)
            {
                UseTls = true,
                CaFile = Path.Combine(dir, "ca.crt"),
                CertFile = Path.Combine(dir, "roomctl.crt"),
                KeyFile = Path.Combine(dir, "roomctl.key"),
            };
            await using FleetClient fleet = await FleetClient.ConnectAsync(tls);
            CommandReply r = await fleet.SendCommandAsync("rd-tls-good", "mute", null, Wait);
            Assert.Equal("succeeded", r.Status);

            // roomctl with the operator certificate
            var (code, table) = await RoomCtlTests.Run("devices", "--port", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--ca", tls.CaFile!, "--cert", tls.CertFile!, "--key", tls.KeyFile!);
            Assert.True(code == 0, table);
            Assert.Contains("rd-tls-good", table, StringComparison.Ordinal);
            Assert.DoesNotContain("rd-tls-bad", table, StringComparison.Ordinal);

            await Task.Delay(3000); // several reconnect attempts of the refused devices
            Assert.False(bad.Agent.IsConnected);
            Assert.False(none.Agent.IsConnected);
            Assert.Equal(0, bad.Agent.Session > 0 && bad.Agent.IsConnected ? 1 : 0);

            // the operator tool with a certificate of the wrong CA is refused too, with a clear message
            var wrong = tls with { CertFile = Path.Combine(rogue, "roomctl.crt"), KeyFile = Path.Combine(rogue, "roomctl.key") };
            var ex = await Assert.ThrowsAsync<FleetConnectionException>(() => FleetClient.ConnectAsync(wrong));
            Assert.Contains($"127.0.0.1:{broker.Port}", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(rogue, recursive: true);
        }
    }

    [Fact]
    public async Task The_generated_acl_confines_each_device_to_its_own_subtree()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync("acl_file {dir}/acl\n", dir =>
        {
            var (code, output) = RoomCtlTests.Run("acl", "--out", Path.Combine(dir, "acl")).GetAwaiter().GetResult();
            Assert.True(code == 0, output);
        });
        await using TestDevice device = new TestDevice(broker.Port, id: "rd-acl-a").Start();
        await device.WaitConnectedAsync();

        // the operator account reaches the device
        await using FleetClient op = await FleetClient.ConnectAsync(new FleetConnectionOptions("127.0.0.1", broker.Port) { Username = "roomctl" });
        Assert.Equal("succeeded", (await op.SendCommandAsync("rd-acl-a", "volume", new System.Text.Json.Nodes.JsonObject { ["level"] = 20 }, Wait)).Status);

        // another device may not command it, nor read its topics
        await using FleetClient evil = await FleetClient.ConnectAsync(new FleetConnectionOptions("127.0.0.1", broker.Port) { ClientId = "rd-acl-evil" });
        var seen = new List<string>();
        evil.MessageReceived += m => { lock (seen) { seen.Add(m.Topic); } };
        await evil.SubscribeAsync(CancellationToken.None, Topics.Device("rd-acl-a") + "/#");
        var denied = await Assert.ThrowsAsync<FleetConnectionException>(() =>
            evil.PublishAsync(Topics.Command("rd-acl-a", "volume"), Encoding.UTF8.GetBytes("{\"id\":\"x\",\"args\":{\"level\":99}}")));
        Assert.Contains("NotAuthorized", denied.Message, StringComparison.Ordinal);
        await op.SendCommandAsync("rd-acl-a", "mute", null, Wait);
        Assert.Equal(20, device.Room.State.Volume);
        lock (seen)
        {
            Assert.Empty(seen);
        }
    }
    [Fact]
    public async Task With_the_certificate_acl_a_client_holding_another_devices_certificate_cannot_take_a_device_by_its_client_id()
    {
        await using Mosquitto broker = await Mosquitto.StartAsync(
            "listener {port} 127.0.0.1\ncafile {dir}/ca.crt\ncertfile {dir}/broker.crt\nkeyfile {dir}/broker.key\nrequire_certificate true\nuse_identity_as_username true\nacl_file {dir}/acl\n",
            dir =>
            {
                MakeCerts(dir, "rd-cert-a", "rd-cert-b");
                var (code, output) = RoomCtlTests.Run("acl", "--out", Path.Combine(dir, "acl"), "--devices-by", "certificate").GetAwaiter().GetResult();
                Assert.True(code == 0, output);
            },
            plainListener: false);
        string dir = broker.Folder;
        Assert.Contains("pattern readwrite roomdevice/v1/%u/#", File.ReadAllText(Path.Combine(dir, "acl")), StringComparison.Ordinal);
        FleetConnectionOptions As(string cert, string? clientId = null) => new("127.0.0.1", broker.Port)
        {
            UseTls = true,
            CaFile = Path.Combine(dir, "ca.crt"),
            CertFile = Path.Combine(dir, cert + ".crt"),
            KeyFile = Path.Combine(dir, cert + ".key"),
            ClientId = clientId,
        };
        // rd-cert-b's certificate under rd-cert-a's own client id (the client-id ACL would let it in)
        await using (FleetClient spoof = await FleetClient.ConnectAsync(As("rd-cert-b", clientId: "rd-cert-a")))
        {
            var denied = await Assert.ThrowsAsync<FleetConnectionException>(() =>
                spoof.PublishAsync(Topics.Command("rd-cert-a", "volume"), Encoding.UTF8.GetBytes("{\"id\":\"x\",\"args\":{\"level\":99}}")));
            Assert.Contains("NotAuthorized", denied.Message, StringComparison.Ordinal);
            // while its own subtree stays its own
            await spoof.PublishAsync(Topics.Events("rd-cert-b"), Encoding.UTF8.GetBytes("{\"kind\":\"test\"}"));
        }

        await using TestDevice device = new TestDevice(broker.Port, id: "rd-cert-a", configure: o =>
        {
            o.UseTls = true;
            o.CaFile = Path.Combine(dir, "ca.crt");
            o.ClientCertificateFile = Path.Combine(dir, "rd-cert-a.crt");
            o.ClientKeyFile = Path.Combine(dir, "rd-cert-a.key");
        }).Start();
        await device.WaitConnectedAsync();
        await using FleetClient op = await FleetClient.ConnectAsync(As("roomctl"));
        Assert.Equal("succeeded", (await op.SendCommandAsync("rd-cert-a", "volume", new System.Text.Json.Nodes.JsonObject { ["level"] = 20 }, Wait)).Status);
        Assert.Equal(20, device.Room.State.Volume);
    }

    [Theory]
    [InlineData("--devices-by", "serial", "accepted: client-id, certificate")]
    [InlineData("--operator", "two words", "--operator must be one word")]
    public async Task Bad_acl_arguments_are_refused_and_write_nothing(string option, string value, string expected)
    {
        string file = Path.Combine(Path.GetTempPath(), "roomdevice-acl-" + Guid.NewGuid().ToString("N"));
        var (code, output) = await RoomCtlTests.Run("acl", "--out", file, option, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }
}
