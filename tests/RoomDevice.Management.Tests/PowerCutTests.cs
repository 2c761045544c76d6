using System.Text.Json;
using System.Text.Json.Nodes;
using RoomDevice.Management.Config;
using RoomDevice.Management.Storage;
using Xunit;

namespace RoomDevice.Management.Tests;

/// <summary>Power cut during config writes: every crash point, many times; the files always stay valid.</summary>
[Collection(nameof(PowerCutTests))] // the crash seam is process-wide
public sealed class PowerCutTests
{
    private sealed class PowerCut : Exception
    {
    }

    private static ConfigDocument Doc(long version)
    {
        using JsonDocument d = JsonDocument.Parse($"{{\"version\":{version},\"config\":{{\"Room\":{{\"InitialVolume\":{version % 100}}},\"Site\":{{\"Name\":\"{new string('x', (int)(version % 50))}\"}}}}}}");
        var errors = new List<ConfigError>();
        return ConfigDocument.TryRead(d.RootElement, errors) ?? throw new InvalidOperationException(string.Join("; ", errors));
    }

    [Fact]
    public void Killed_at_any_point_of_a_config_write_the_applied_config_is_always_a_whole_document()
    {
        string dir = Directory.CreateTempSubdirectory("powercut-").FullName;
        string[] points = ["temp-half-written", "temp-synced", "last-good-kept", "renamed"];
        var rng = new Random(1234);
        long committed = 0;
        try
        {
            for (int i = 1; i <= 400; i++)
            {
                string cutAt = points[rng.Next(points.Length)];
                int skip = rng.Next(0, 3); // cut in the first, second or third file write of this apply
                AtomicFile.CrashPoint = p =>
                {
                    if (p == cutAt && skip-- == 0)
                    {
                        throw new PowerCut();
                    }
                };
                var store = new AppliedConfigStore(dir);
                long before = store.AppliedVersion;
                try
                {
                    store.Apply(Doc(before + 1), DateTimeOffset.UtcNow);
                    committed = before + 1;
                }
                catch (PowerCut)
                {
                }
                finally
                {
                    AtomicFile.CrashPoint = null;
                }

                // "reboot": open the store again and read the file the host layers into its configuration
                var after = new AppliedConfigStore(dir);
                Assert.InRange(after.AppliedVersion, before, before + 1);
                Assert.True(after.AppliedVersion >= committed);
                if (after.AppliedVersion > 0)
                {
                    JsonObject file = JsonNode.Parse(File.ReadAllText(after.ConfigPath))!.AsObject();
                    Assert.Equal(after.AppliedVersion % 100, (long)file["Room"]!["InitialVolume"]!);
                }
                Assert.Empty(Directory.EnumerateFiles(dir, "*.tmp*", SearchOption.AllDirectories));
            }
            Assert.True(committed > 100, $"only {committed} applies survived");
        }
        finally
        {
            AtomicFile.CrashPoint = null;
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Repairing_a_corrupt_sections_file_keeps_the_last_good_copy_it_had()
    {
        string dir = Directory.CreateTempSubdirectory("repair-").FullName;
        try
        {
            var store = new AppliedConfigStore(dir);
            store.Apply(Doc(1), DateTimeOffset.UtcNow);
            store.Apply(Doc(2), DateTimeOffset.UtcNow);
            string lastGood = store.ConfigPath + AtomicFile.LastGoodSuffix;
            byte[] goodCopy = File.ReadAllBytes(lastGood);
            File.WriteAllText(store.ConfigPath, "{\"Room\": {\"InitialVol"); // torn by something outside the store

            var reopened = new AppliedConfigStore(dir);

            Assert.Equal(2, reopened.AppliedVersion);
            Assert.Equal(2, (long)JsonNode.Parse(File.ReadAllText(reopened.ConfigPath))!["Room"]!["InitialVolume"]!);
            Assert.Equal(goodCopy, File.ReadAllBytes(lastGood));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_corrupted_file_falls_back_to_the_last_good_copy()
    {
        string dir = Directory.CreateTempSubdirectory("lastgood-").FullName;
        try
        {
            string path = Path.Combine(dir, "x.json");
            AtomicFile.WriteJson(path, new { N = 1 }, keepLastGood: true);
            AtomicFile.WriteJson(path, new { N = 2 }, keepLastGood: true);
            File.WriteAllText(path, "{\"n\": 3, garbage");
            JsonObject? read = AtomicFile.ReadJson<JsonObject>(path);
            Assert.Equal(1, (int)read!["n"]!);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
