using System.Buffers.Binary;
using RoomDevice.Audio.Wav;
using Xunit;

namespace RoomDevice.Audio.Tests.Wav;

public sealed class WavFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("roomdevice-wav-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float[] Ramp(int n, int channels)
    {
        var x = new float[n * channels];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)Math.Sin(i * 0.01) * 0.8f * ((i % channels) + 1) / channels;
        }
        return x;
    }

    [Theory]
    [InlineData(WavSampleFormat.Pcm16, 1)]
    [InlineData(WavSampleFormat.Pcm16, 6)]
    [InlineData(WavSampleFormat.Float32, 2)]
    [InlineData(WavSampleFormat.Float32, 8)]
    public void Writes_and_reads_back_multichannel_files(WavSampleFormat format, int channels)
    {
        float[] x = Ramp(1000, channels);
        string path = Path.Combine(_dir, $"t-{format}-{channels}.wav");
        new WavFile(48000, channels, x).Write(path, format);
        var back = WavFile.Read(path);
        Assert.Equal(48000, back.SampleRate);
        Assert.Equal(channels, back.Channels);
        Assert.Equal(1000, back.Frames);
        double tol = format == WavSampleFormat.Pcm16 ? (0.5 / 32768) + 1e-7 : 0;
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(x[i] - back.Samples[i]) <= tol, $"sample {i}: {x[i]} vs {back.Samples[i]}");
        }
        float[] last = back.Channel(channels - 1);
        Assert.Equal(1000, last.Length);
        Assert.Equal(back.Samples[channels - 1], last[0]);
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Pcm16_clips_out_of_range_samples()
    {
        var w = new WavFile(16000, 1, [2f, -2f, 0.5f]);
        var back = WavFile.Parse(w.ToBytes(), "clip.wav");
        Assert.Equal(32767 / 32768f, back.Samples[0]);
        Assert.Equal(-1f, back.Samples[1]);
        Assert.Equal(0.5f, back.Samples[2]);
    }

    [Fact]
    public void Reads_the_files_sox_writes()
    {
        string path = Path.Combine(_dir, "sox.wav");
        var psi = new System.Diagnostics.ProcessStartInfo("sox", ["-n", "-r", "16000", "-c", "4", "-b", "16", path, "synth", "0.5", "sine", "1000", "gain", "-6"])
        {
            RedirectStandardError = true,
        };
        using (var p = System.Diagnostics.Process.Start(psi)!)
        {
            Assert.True(p.WaitForExit(60_000));
            Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        }
        var w = WavFile.Read(path);
        Assert.Equal(16000, w.SampleRate);
        Assert.Equal(4, w.Channels);
        Assert.Equal(8000, w.Frames);
        Assert.InRange(w.Samples.Max(), 0.45f, 0.55f);
    }

    [Fact]
    public void A_file_that_stops_inside_its_header_names_the_file()
    {
        byte[] good = new WavFile(16000, 1, new float[100]).ToBytes();
        var e = Assert.Throws<WavFormatException>(() => WavFile.Parse(good.AsSpan(0, 30), "short.wav"));
        Assert.Contains("short.wav", e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        var noData = Assert.Throws<WavFormatException>(() => WavFile.Parse(good.AsSpan(0, 36), "nodata.wav"));
        Assert.Contains("nodata.wav: no data chunk", noData.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_cut_inside_its_data_keeps_the_whole_frames()
    {
        byte[] good = new WavFile(16000, 2, Ramp(100, 2)).ToBytes();
        var w = WavFile.Parse(good.AsSpan(0, 44 + (10 * 4) + 3), "cut.wav");
        Assert.Equal(10, w.Frames);
    }

    [Fact]
    public void Non_pcm_formats_are_refused_naming_file_format_and_what_is_accepted()
    {
        byte[] b = new WavFile(8000, 1, new float[10]).ToBytes();
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(20), 7);   // mu-law
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(34), 8);
        string path = Path.Combine(_dir, "mulaw.wav");
        File.WriteAllBytes(path, b);
        var e = Assert.Throws<WavFormatException>(() => WavFile.Read(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("format tag 7", e.Message, StringComparison.Ordinal);
        Assert.Contains("accepted: PCM 16-bit or float 32-bit", e.Message, StringComparison.Ordinal);

        byte[] b24 = new WavFile(8000, 1, new float[10]).ToBytes();
        BinaryPrimitives.WriteUInt16LittleEndian(b24.AsSpan(34), 24);
        var e24 = Assert.Throws<WavFormatException>(() => WavFile.Parse(b24, "pcm24.wav"));
        Assert.Contains("pcm24.wav", e24.Message, StringComparison.Ordinal);
        Assert.Contains("24 bits", e24.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Not_a_wav_and_missing_files_name_the_file()
    {
        string path = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(path, "this is not audio at all");
        var e = Assert.Throws<WavFormatException>(() => WavFile.Read(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("no RIFF/WAVE header", e.Message, StringComparison.Ordinal);
        string missing = Path.Combine(_dir, "absent.wav");
        var m = Assert.Throws<WavFormatException>(() => WavFile.Read(missing));
        Assert.Contains(missing, m.Message, StringComparison.Ordinal);
        Assert.Contains("cannot read", m.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_channels_in_fmt_is_refused()
    {
        byte[] b = new WavFile(8000, 1, new float[10]).ToBytes();
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(22), 0);
        var e = Assert.Throws<WavFormatException>(() => WavFile.Parse(b, "zero.wav"));
        Assert.Contains("zero.wav: invalid fmt (channels 0", e.Message, StringComparison.Ordinal);
    }
}
