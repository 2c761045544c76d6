using System.Numerics;

namespace RoomDevice.Audio.Acoustics;

/// <summary>
/// Room impulse responses of a shoebox room by the image-source method (Allen and Berkley):
/// every mirror image of the source contributes a delayed, attenuated tap. Wall absorption is
/// uniform and derived from the room's RT60 with Eyring's formula; taps fall on fractional
/// delays through a short windowed-sinc kernel so that the response is smooth in position.
/// </summary>
public static class ImageSourceModel
{
    private const float SpeedOfSound = 343f;
    private const int SincHalfWidth = 8;

    /// <summary>
    /// Impulse response from <paramref name="source"/> to <paramref name="mic"/> (metres, from the
    /// room's corner at the origin), <paramref name="lengthSamples"/> long at
    /// <paramref name="sampleRate"/>. Direct path included, so tap amplitudes fall as 1/distance.
    /// </summary>
    public static float[] ImpulseResponse(ShoeboxRoom room, Vector3 source, Vector3 mic, int sampleRate, int lengthSamples)
    {
        ArgumentNullException.ThrowIfNull(room);
        room.Validate();
        if (sampleRate < 4000 || sampleRate > 192000)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "Sample rate must be between 4000 and 192000 Hz.");
        }

        if (lengthSamples < 1 || lengthSamples > sampleRate * 10)
        {
            throw new ArgumentOutOfRangeException(nameof(lengthSamples), lengthSamples,
                $"Length must be between 1 and {sampleRate * 10} samples (10 s).");
        }

        CheckInside(room, source, nameof(source));
        CheckInside(room, mic, nameof(mic));

        float beta = WallReflection(room);
        var h = new float[lengthSamples];
        double maxDist = (lengthSamples + SincHalfWidth) * (double)SpeedOfSound / sampleRate;
        int nx = (int)Math.Ceiling(maxDist / (2 * room.Length)) + 1;
        int ny = (int)Math.Ceiling(maxDist / (2 * room.Width)) + 1;
        int nz = (int)Math.Ceiling(maxDist / (2 * room.Height)) + 1;
        double samplesPerMetre = sampleRate / (double)SpeedOfSound;

        for (int mx = -nx; mx <= nx; mx++)
        {
            for (int px = 0; px < 2; px++)
            {
                // Image x coordinate: (1-2p)*xs + 2 m L; reflections |m-p| + |m|.
                double ix = ((1 - (2 * px)) * source.X) + (2.0 * mx * room.Length);
                double ddx = ix - mic.X;
                int rx = Math.Abs(mx - px) + Math.Abs(mx);
                for (int my = -ny; my <= ny; my++)
                {
                    for (int py = 0; py < 2; py++)
                    {
                        double iy = ((1 - (2 * py)) * source.Y) + (2.0 * my * room.Width);
                        double ddy = iy - mic.Y;
                        int ry = Math.Abs(my - py) + Math.Abs(my);
                        double dxy2 = (ddx * ddx) + (ddy * ddy);
                        if (dxy2 > maxDist * maxDist)
                        {
                            continue;
                        }

                        for (int mz = -nz; mz <= nz; mz++)
                        {
                            for (int pz = 0; pz < 2; pz++)
                            {
                                double iz = ((1 - (2 * pz)) * source.Z) + (2.0 * mz * room.Height);
                                double ddz = iz - mic.Z;
                                double dist = Math.Sqrt(dxy2 + (ddz * ddz));
                                if (dist > maxDist)
                                {
                                    continue;
                                }

                                int rz = Math.Abs(mz - pz) + Math.Abs(mz);
                                double gain = Math.Pow(beta, rx + ry + rz) / Math.Max(dist, 0.05);
                                AddTap(h, dist * samplesPerMetre, (float)gain);
                            }
                        }
                    }
                }
            }
        }

        return h;
    }

    /// <summary>Pressure reflection coefficient of every wall for the room's RT60 (Eyring).</summary>
    public static float WallReflection(ShoeboxRoom room)
    {
        ArgumentNullException.ThrowIfNull(room);
        // Eyring: RT60 = 0.161 V / (-S ln(1 - alpha)).
        double lnTerm = -0.161 * room.Volume / (room.Surface * room.Rt60);
        double alpha = 1 - Math.Exp(lnTerm);
        alpha = Math.Clamp(alpha, 1e-4, 0.9999);
        return (float)Math.Sqrt(1 - alpha);
    }

    private static void AddTap(float[] h, double delay, float gain)
    {
        int centre = (int)Math.Floor(delay);
        int first = centre - SincHalfWidth + 1;
        for (int k = 0; k < 2 * SincHalfWidth; k++)
        {
            int n = first + k;
            if ((uint)n >= (uint)h.Length)
            {
                continue;
            }

            double t = n - delay;
            double sinc = Math.Abs(t) < 1e-9 ? 1.0 : Math.Sin(Math.PI * t) / (Math.PI * t);
            // Hann window over the kernel span.
            double w = 0.5 + (0.5 * Math.Cos(Math.PI * t / SincHalfWidth));
            if (Math.Abs(t) >= SincHalfWidth)
            {
                w = 0;
            }

            h[n] += (float)(gain * sinc * w);
        }
    }

    private static void CheckInside(ShoeboxRoom room, Vector3 p, string name)
    {
        if (!float.IsFinite(p.X) || !float.IsFinite(p.Y) || !float.IsFinite(p.Z)
            || p.X <= 0 || p.Y <= 0 || p.Z <= 0
            || p.X >= room.Length || p.Y >= room.Width || p.Z >= room.Height)
        {
            throw new ArgumentOutOfRangeException(name, p,
                $"The {name} position {p} must lie strictly inside the room (0..{room.Length}, 0..{room.Width}, 0..{room.Height}) metres.");
        }
    }
}
