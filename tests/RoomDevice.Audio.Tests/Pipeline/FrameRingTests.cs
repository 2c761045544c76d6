using RoomDevice.Audio.Pipeline;
using Xunit;

namespace RoomDevice.Audio.Tests.Pipeline;

public sealed class FrameRingTests
{
    [Fact]
    public void Counts_overruns_and_underruns_and_keeps_order()
    {
        var ring = new FrameRing(2, 3);
        Assert.False(ring.TryRead(new float[2]));
        Assert.Equal(1, ring.Underruns);
        for (int i = 0; i < 4; i++)
        {
            ring.TryWrite([i, i]);
        }
        Assert.Equal(1, ring.Overruns);
        var f = new float[2];
        Assert.True(ring.TryRead(f));
        Assert.Equal(0f, f[0]);
        Assert.True(ring.TryRead(f));
        Assert.Equal(1f, f[0]);
        Assert.Equal(1, ring.Count);
    }

    [Fact]
    public void Wrong_frame_length_is_refused()
    {
        var ring = new FrameRing(160, 4);
        var e = Assert.Throws<ArgumentException>(() => ring.TryWrite(new float[480]));
        Assert.Contains("this ring carries 160", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reader_waiting_for_data_wakes_when_a_frame_is_written_from_another_thread()
    {
        var ring = new FrameRing(4, 8);
        Assert.False(ring.WaitForData(1));
        var reader = Task.Run(() => ring.WaitForData(30_000));
        await Task.Delay(50);
        ring.TryWrite(new float[4]);
        Assert.True(await reader.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Producer_and_consumer_threads_move_every_frame_in_order()
    {
        var ring = new FrameRing(8, 4);
        const int n = 20000;
        var producer = Task.Run(() =>
        {
            var f = new float[8];
            for (int i = 0; i < n;)
            {
                f[0] = i;
                f[7] = i;
                if (ring.TryWrite(f))
                {
                    i++;
                }
                else
                {
                    Thread.Yield();
                }
            }
        });
        var consumer = Task.Run(() =>
        {
            var f = new float[8];
            for (int i = 0; i < n;)
            {
                if (ring.WaitForData(1000) && ring.TryRead(f))
                {
                    Assert.Equal(i, f[0]);
                    Assert.Equal(i, f[7]);
                    i++;
                }
            }
        });
        await Task.WhenAll(producer, consumer).WaitAsync(TimeSpan.FromMinutes(1));
    }
}
