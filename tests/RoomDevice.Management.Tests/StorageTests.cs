using System.Text;
using Microsoft.Extensions.Time.Testing;
using RoomDevice.Management.Commands;
using RoomDevice.Management.Connection;
using RoomDevice.Management.Storage;
using Xunit;

namespace RoomDevice.Management.Tests;

public sealed class StorageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mgmt-storage-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Command_ids_are_remembered_for_24_hours_across_reopen_and_then_forgotten()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        using (var ledger = new CommandLedger(_dir, time))
        {
            Assert.True(ledger.TryBegin("a", "mute", out _));
            ledger.Complete("a", Encoding.UTF8.GetBytes("{\"status\":\"succeeded\"}"));
            Assert.False(ledger.TryBegin("a", "mute", out LedgerEntry? e));
            Assert.Equal("{\"status\":\"succeeded\"}", e!.Response);
        }
        time.Advance(TimeSpan.FromHours(23));
        using (var ledger = new CommandLedger(_dir, time))
        {
            Assert.False(ledger.TryBegin("a", "mute", out LedgerEntry? e));
            Assert.Equal("{\"status\":\"succeeded\"}", e!.Response);
        }
        time.Advance(TimeSpan.FromHours(2));
        using (var ledger = new CommandLedger(_dir, time))
        {
            Assert.True(ledger.TryBegin("a", "mute", out _));
        }
    }

    [Fact]
    public void A_torn_last_journal_line_after_a_power_cut_loses_nothing_before_it()
    {
        var time = new FakeTimeProvider();
        using (var ledger = new CommandLedger(_dir, time))
        {
            for (int i = 0; i < 50; i++)
            {
                ledger.TryBegin("id" + i, "volume", out _);
            }
        }
        File.AppendAllText(Path.Combine(_dir, "command-ids.jsonl"), "{\"id\":\"torn\",\"na");
        using var reopened = new CommandLedger(_dir, time);
        Assert.Equal(50, reopened.Count);
        Assert.NotNull(reopened.Find("id49"));
    }

    [Fact]
    public void Disk_queue_is_bounded_drops_the_oldest_counts_it_and_survives_reopen()
    {
        var q = new DiskQueue(_dir, 3);
        for (int i = 0; i < 5; i++)
        {
            q.Enqueue(new QueuedMessage("t", [(byte)i]));
        }
        Assert.Equal(3, q.Count);
        Assert.Equal(2, q.Dropped);
        var again = new DiskQueue(_dir, 3);
        Assert.Equal(3, again.Count);
        Assert.Equal(2, again.Dropped);
        Assert.True(again.TryPeek(out long seq, out QueuedMessage? m));
        Assert.Equal(2, m!.Payload[0]);
        again.Remove(seq);
        Assert.Equal(2, again.TakeDropped());
        Assert.Equal(0, again.Dropped);
        Assert.Equal(2, new DiskQueue(_dir, 3).Count);
    }

    [Fact]
    public void Disk_queue_skips_an_unreadable_entry_instead_of_blocking()
    {
        var q = new DiskQueue(_dir, 10);
        q.Enqueue(new QueuedMessage("t", [1]));
        q.Enqueue(new QueuedMessage("t", [2]));
        File.WriteAllText(Directory.EnumerateFiles(_dir, "*.msg").Order(StringComparer.Ordinal).First(), "{broken");
        var reopened = new DiskQueue(_dir, 10);
        Assert.True(reopened.TryPeek(out _, out QueuedMessage? m));
        Assert.Equal(2, m!.Payload[0]);
    }

    [Fact]
    public void Backoff_grows_with_full_jitter_up_to_the_cap_and_resets_only_after_a_stable_connection()
    {
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var b = new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), () => 0.999999);
        var caps = new List<double>();
        for (int i = 0; i < 8; i++)
        {
            caps.Add(Math.Round(b.NextDelay(now).TotalSeconds));
        }
        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], caps);

        // a connection that drops at once does not reset the backoff (no reconnect storm)
        b.Connected(now);
        Assert.Equal(30, Math.Round(b.NextDelay(now + TimeSpan.FromSeconds(5)).TotalSeconds));
        // one that lasted a while does
        b.Connected(now);
        Assert.Equal(1, Math.Round(b.NextDelay(now + TimeSpan.FromMinutes(5)).TotalSeconds));

        var zero = new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), () => 0.0);
        Assert.Equal(TimeSpan.Zero, zero.NextDelay(now));
        var jitter = new ReconnectBackoff(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));
        var delays = Enumerable.Range(0, 50).Select(_ => { var d = jitter.NextDelay(now); jitter.Connected(now); return d; }).ToList();
        Assert.All(delays, d => Assert.InRange(d.TotalSeconds, 0, 30));
        Assert.True(delays.Distinct().Count() > 10, "delays are not jittered");
    }

    [Fact]
    public void Mqtt_options_report_every_bad_value_with_its_key_and_what_is_accepted()
    {
        var o = new MqttOptions { Port = 0, KeepAliveSeconds = 1, ReconnectInitialMs = 5000, ReconnectMaxMs = 1000, ClientCertificateFile = "/nonexistent/device.crt", Password = "x", Host = "mqtt://broker" };
        var v = new Core.Options.OptionsValidator("Mqtt", _ => "test");
        o.Validate(v);
        var keys = v.Issues.Select(i => i.Key).ToList();
        Assert.Contains("Mqtt:Port", keys);
        Assert.Contains("Mqtt:KeepAliveSeconds", keys);
        Assert.Contains("Mqtt:ReconnectMaxMs", keys);
        Assert.Contains("Mqtt:ClientKeyFile", keys);
        Assert.Contains("Mqtt:UseTls", keys);
        Assert.Contains("Mqtt:ClientCertificateFile", keys);
        Assert.Contains("Mqtt:Username", keys);
        Assert.Contains("Mqtt:Host", keys);
        Assert.All(v.Issues, i => Assert.False(string.IsNullOrEmpty(i.Accepted)));
        Assert.DoesNotContain(v.Issues, i => i.Value == "x"); // the password is never echoed

        var fine = new Core.Options.OptionsValidator("Mqtt", _ => "test");
        new MqttOptions().Validate(fine);
        Assert.Empty(fine.Issues);
    }
}
