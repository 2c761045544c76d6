using System.Buffers.Binary;
using System.Text;

namespace RoomDevice.Audio.Wav;

/// <summary>Sample encoding of a WAV file.</summary>
public enum WavSampleFormat
{
    /// <summary>16-bit signed integer PCM.</summary>
    Pcm16,
    /// <summary>32-bit IEEE float.</summary>
    Float32,
}

/// <summary>Raised for a WAV file that cannot be read; the message names the file and the fault.</summary>
public sealed class WavFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WavFormatException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public WavFormatException() { }

    /// <summary>Creates the exception.</summary>
    public WavFormatException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// A whole WAV file in memory: interleaved float samples in [-1, 1]. Reads PCM16 and float32 of
/// any channel count (also WAVE_FORMAT_EXTENSIBLE); writes either.
/// </summary>
public sealed class WavFile
{
    private const ushort FormatPcm = 1, FormatFloat = 3, FormatExtensible = 0xFFFE;

    /// <summary>Creates a file from interleaved samples.</summary>
    public WavFile(int sampleRate, int channels, float[] interleaved)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentNullException.ThrowIfNull(interleaved);
        if (interleaved.Length % channels != 0)
        {
            throw new ArgumentException($"{interleaved.Length} samples do not divide into {channels} channels", nameof(interleaved));
        }
        SampleRate = sampleRate;
        Channels = channels;
        Samples = interleaved;
    }

    /// <summary>Samples per second per channel.</summary>
    public int SampleRate { get; }

    /// <summary>Channel count.</summary>
    public int Channels { get; }

    /// <summary>Interleaved samples, nominally in [-1, 1].</summary>
#pragma warning disable CA1819 // a buffer is the point of this type
    public float[] Samples { get; }
#pragma warning restore CA1819

    /// <summary>Frames (samples per channel).</summary>
    public int Frames => Samples.Length / Channels;

    /// <summary>Duration.</summary>
    public TimeSpan Duration => TimeSpan.FromSeconds((double)Frames / SampleRate);

    /// <summary>Copies one channel out.</summary>
    public float[] Channel(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Channels);
        var mono = new float[Frames];
        for (int i = 0; i < mono.Length; i++)
        {
            mono[i] = Samples[(i * Channels) + index];
        }
        return mono;
    }

    /// <summary>Reads a file; throws <see cref="WavFormatException"/> naming the file when it is not a readable WAV.</summary>
    public static WavFile Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WavFormatException($"{path}: cannot read: {e.Message}", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses WAV bytes; <paramref name="name"/> goes into error messages.</summary>
    public static WavFile Parse(ReadOnlySpan<byte> b, string name)
    {
        if (b.Length < 12 || !b[..4].SequenceEqual("RIFF"u8) || !b.Slice(8, 4).SequenceEqual("WAVE"u8))
        {
            throw new WavFormatException($"{name}: not a WAV file (no RIFF/WAVE header); accepted: PCM 16-bit or float 32-bit WAV");
        }
        int pos = 12;
        ushort format = 0, channels = 0, bits = 0;
        int rate = 0;
        bool haveFmt = false;
        while (pos + 8 <= b.Length)
        {
            var id = b.Slice(pos, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(pos + 4, 4));
            int body = pos + 8;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || body + 16 > b.Length)
                {
                    throw new WavFormatException($"{name}: truncated fmt chunk");
                }
                format = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body, 2));
                channels = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body + 2, 2));
                rate = BinaryPrimitives.ReadInt32LittleEndian(b.Slice(body + 4, 4));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body + 14, 2));
                if (format == FormatExtensible && size >= 40 && body + 26 <= b.Length)
                {
                    format = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body + 24, 2));
                }
                haveFmt = true;
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (!haveFmt)
                {
                    throw new WavFormatException($"{name}: data chunk before fmt chunk");
                }
                long available = Math.Min(size, (uint)(b.Length - body));
                return Decode(b.Slice(body, (int)available), name, format, channels, rate, bits);
            }
            pos = body + (int)Math.Min(size + (size & 1), int.MaxValue - body);
        }
        throw new WavFormatException($"{name}: no data chunk (file truncated?)");
    }

    private static WavFile Decode(ReadOnlySpan<byte> data, string name, ushort format, ushort channels, int rate, ushort bits)
    {
        if (channels == 0 || rate <= 0)
        {
            throw new WavFormatException($"{name}: invalid fmt (channels {channels}, rate {rate})");
        }
        int frameBytes;
        float[] samples;
        if (format == FormatPcm && bits == 16)
        {
            frameBytes = 2 * channels;
            int n = data.Length / frameBytes * channels;
            samples = new float[n];
            for (int i = 0; i < n; i++)
            {
                samples[i] = BinaryPrimitives.ReadInt16LittleEndian(data.Slice(i * 2, 2)) / 32768f;
            }
        }
        else if (format == FormatFloat && bits == 32)
        {
            frameBytes = 4 * channels;
            int n = data.Length / frameBytes * channels;
            samples = new float[n];
            for (int i = 0; i < n; i++)
            {
                samples[i] = BinaryPrimitives.ReadSingleLittleEndian(data.Slice(i * 4, 4));
            }
        }
        else
        {
            throw new WavFormatException(
                $"{name}: unsupported sample format (format tag {format}, {bits} bits); accepted: PCM 16-bit or float 32-bit");
        }
        return new WavFile(rate, channels, samples);
    }

    /// <summary>Writes the file; PCM16 clips to [-1, 1].</summary>
    public void Write(string path, WavSampleFormat format = WavSampleFormat.Pcm16)
    {
        string tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            fs.Write(ToBytes(format));
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Encodes the file as WAV bytes.</summary>
    public byte[] ToBytes(WavSampleFormat format = WavSampleFormat.Pcm16)
    {
        int bytesPer = format == WavSampleFormat.Pcm16 ? 2 : 4;
        int dataLen = Samples.Length * bytesPer;
        var buf = new byte[44 + dataLen];
        var s = buf.AsSpan();
        Encoding.ASCII.GetBytes("RIFF", s);
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], 36 + dataLen);
        Encoding.ASCII.GetBytes("WAVEfmt ", s[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(s[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(s[20..], format == WavSampleFormat.Pcm16 ? FormatPcm : FormatFloat);
        BinaryPrimitives.WriteUInt16LittleEndian(s[22..], (ushort)Channels);
        BinaryPrimitives.WriteInt32LittleEndian(s[24..], SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(s[28..], SampleRate * Channels * bytesPer);
        BinaryPrimitives.WriteUInt16LittleEndian(s[32..], (ushort)(Channels * bytesPer));
        BinaryPrimitives.WriteUInt16LittleEndian(s[34..], (ushort)(bytesPer * 8));
        Encoding.ASCII.GetBytes("data", s[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(s[40..], dataLen);
        var d = s[44..];
        for (int i = 0; i < Samples.Length; i++)
        {
            if (format == WavSampleFormat.Pcm16)
            {
                // Same scale as the reader (1/32768) so a round trip is exact to half a step.
                double v = Math.Clamp(Math.Round(Samples[i] * 32768.0), short.MinValue, short.MaxValue);
                BinaryPrimitives.WriteInt16LittleEndian(d[(i * 2)..], (short)v);
            }
            else
            {
                BinaryPrimitives.WriteSingleLittleEndian(d[(i * 4)..], Samples[i]);
            }
        }
        return buf;
    }
}
