using System.Buffers.Binary;
using System.IO.Compression;

namespace RoomDevice.Audio.Scenes;

/// <summary>Minimal line-plot renderer writing RGB PNG files (for the evaluation report).</summary>
public static class PngPlot
{
    private static readonly uint[] CrcTable = MakeCrcTable();

    private static readonly (byte R, byte G, byte B)[] Palette =
    [
        (31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14),
    ];

    /// <summary>Plots each series (x, y) into a PNG of <paramref name="width"/> x <paramref name="height"/>, y from <paramref name="yMin"/> to <paramref name="yMax"/>, with grid lines every 10 units of y and 1 of x.</summary>
    public static byte[] Lines(IReadOnlyList<IReadOnlyList<(double X, double Y)>> series, double xMax, double yMin, double yMax, int width = 640, int height = 300)
    {
        ArgumentNullException.ThrowIfNull(series);
        var px = new byte[width * height * 3];
        Array.Fill(px, (byte)255);
        const int left = 30, bottom = 20, top = 8, right = 8;
        int pw = width - left - right, ph = height - top - bottom;
        int X(double x) => left + (int)Math.Round(x / Math.Max(xMax, 1e-9) * pw);
        int Y(double y) => top + ph - (int)Math.Round((Math.Clamp(y, yMin, yMax) - yMin) / (yMax - yMin) * ph);
        for (double gy = Math.Ceiling(yMin / 10) * 10; gy <= yMax; gy += 10)
        {
            Line(px, width, height, left, Y(gy), left + pw, Y(gy), (220, 220, 220));
        }

        for (double gx = 0; gx <= xMax; gx += 1)
        {
            Line(px, width, height, X(gx), top, X(gx), top + ph, (235, 235, 235));
        }

        Line(px, width, height, left, top + ph, left + pw, top + ph, (0, 0, 0));
        Line(px, width, height, left, top, left, top + ph, (0, 0, 0));
        // 20 dB reference line.
        if (yMin < 20 && yMax > 20)
        {
            Line(px, width, height, left, Y(20), left + pw, Y(20), (120, 120, 120));
        }

        for (int s = 0; s < series.Count; s++)
        {
            var pts = series[s];
            var c = Palette[s % Palette.Length];
            for (int i = 1; i < pts.Count; i++)
            {
                Line(px, width, height, X(pts[i - 1].X), Y(pts[i - 1].Y), X(pts[i].X), Y(pts[i].Y), c);
            }
        }

        return Encode(px, width, height);
    }

    /// <summary>RGB colour of series <paramref name="index"/> as #rrggbb.</summary>
    public static string ColourOf(int index)
    {
        var c = Palette[index % Palette.Length];
        return FormattableString.Invariant($"#{c.R:x2}{c.G:x2}{c.B:x2}");
    }

    private static void Line(byte[] px, int w, int h, int x0, int y0, int x1, int y1, (byte R, byte G, byte B) c)
    {
        int dx = Math.Abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -Math.Abs(y1 - y0), sy = y0 < y1 ? 1 : -1, err = dx + dy;
        while (true)
        {
            if ((uint)x0 < (uint)w && (uint)y0 < (uint)h)
            {
                int o = ((y0 * w) + x0) * 3;
                px[o] = c.R;
                px[o + 1] = c.G;
                px[o + 2] = c.B;
            }

            if (x0 == x1 && y0 == y1)
            {
                break;
            }

            int e2 = 2 * err;
            if (e2 >= dy)
            {
                err += dy;
                x0 += sx;
            }

            if (e2 <= dx)
            {
                err += dx;
                y0 += sy;
            }
        }
    }

    private static byte[] Encode(byte[] rgb, int w, int h)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        Chunk(ms, "IHDR", ihdr);
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < h; y++)
            {
                z.WriteByte(0);
                z.Write(rgb, y * w * 3, w * 3);
            }
        }

        Chunk(ms, "IDAT", raw.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        byte[] t = [(byte)type[0], (byte)type[1], (byte)type[2], (byte)type[3]];
        s.Write(t);
        s.Write(data);
        uint crc = 0xFFFFFFFFu;
        crc = Crc(crc, t);
        crc = Crc(crc, data);
        BinaryPrimitives.WriteUInt32BigEndian(len, crc ^ 0xFFFFFFFFu);
        s.Write(len);
    }

    private static uint Crc(uint crc, byte[] data)
    {
        foreach (byte b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] MakeCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            t[n] = c;
        }

        return t;
    }
}
