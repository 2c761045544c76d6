using RoomDevice.Calls.Media;
using Xunit.Abstractions;

namespace RoomDevice.Calls.Tests.Media;

[Collection("speech")]
public sealed class JitterScenarioTests(SpeechFixture speech, ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 20)]
    [InlineData(5, 40)]
    [InlineData(10, 80)]
    [InlineData(5, 80)]
    [InlineData(1, 80)]
    [InlineData(10, 20)]
    public void Gilbert_Elliott_loss_and_jitter_are_absorbed(double lossPercent, double jitterMs)
    {
        var r = JitterScenario.Run(speech.Speech16k, lossPercent, jitterMs, seed: 7);
        output.WriteLine($"loss {lossPercent}% (actual {r.LossRate:P1}), jitter 0..{jitterMs} ms: mean added delay {r.MeanAddedDelayMs:F1} ms, " +
            $"p95 {r.P95AddedDelayMs:F0} ms, concealment {r.ConcealmentRate:P1}, late {r.LateRate:P2}, FEC {r.FecRecovered}, SNR {r.SnrDb:F1} dB, " +
            $"target {r.Statistics.TargetDelayMs:F0} ms, inserted {r.Statistics.InsertedFrames}, dropped {r.Statistics.DroppedFrames}");
        Assert.InRange(r.LateRate, 0, 0.03);
        Assert.InRange(r.P95AddedDelayMs, 0, jitterMs + 60);
        Assert.InRange(r.ConcealmentRate, 0, (lossPercent / 100.0) + 0.08);
        Assert.True(r.SnrDb > 3, $"SNR {r.SnrDb:F1} dB");
    }
}
