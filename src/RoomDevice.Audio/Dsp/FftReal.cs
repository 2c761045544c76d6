using System.Numerics;
using System.Runtime.CompilerServices;

namespace RoomDevice.Audio.Dsp;

/// <summary>
/// Real-input FFT of a power-of-two size N, computed as one complex FFT of N/2 points plus a
/// split step. Spectra are kept as separate real and imaginary arrays of N/2 + 1 bins so that the
/// per-bin arithmetic of the adaptive filters vectorises. Forward is unscaled; Inverse divides by N.
/// Allocation happens only in the constructor.
/// </summary>
public sealed class FftReal
{
    private readonly int _n;
    private readonly int _half;
    private readonly float[] _cosTw;   // complex FFT twiddles, N/2 points
    private readonly float[] _sinTw;
    private readonly float[] _splitCos; // split step twiddles e^{-2 pi i k / N}, k = 0..N/2
    private readonly float[] _splitSin;
    private readonly int[] _bitrev;
    private readonly float[] _zr;
    private readonly float[] _zi;

    /// <summary>Creates an FFT of <paramref name="size"/> points (a power of two, 8..65536).</summary>
    public FftReal(int size)
    {
        if (size < 8 || size > 65536 || !BitOperations.IsPow2(size))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "FFT size must be a power of two between 8 and 65536.");
        }

        _n = size;
        _half = size / 2;
        int h = _half;
        _cosTw = new float[h / 2];
        _sinTw = new float[h / 2];
        for (int k = 0; k < h / 2; k++)
        {
            double a = -2 * Math.PI * k / h;
            _cosTw[k] = (float)Math.Cos(a);
            _sinTw[k] = (float)Math.Sin(a);
        }

        _splitCos = new float[h + 1];
        _splitSin = new float[h + 1];
        for (int k = 0; k <= h; k++)
        {
            double a = -2 * Math.PI * k / size;
            _splitCos[k] = (float)Math.Cos(a);
            _splitSin[k] = (float)Math.Sin(a);
        }

        _bitrev = new int[h];
        int bits = BitOperations.Log2((uint)h);
        for (int i = 0; i < h; i++)
        {
            _bitrev[i] = (int)(ReverseBits((uint)i) >> (32 - bits));
        }

        _zr = new float[h];
        _zi = new float[h];
    }

    /// <summary>Transform size N.</summary>
    public int Size => _n;

    /// <summary>Number of spectrum bins, N/2 + 1.</summary>
    public int Bins => _half + 1;

    /// <summary>Spectrum of <paramref name="input"/> (N samples) into <paramref name="re"/>/<paramref name="im"/> (N/2+1 bins each).</summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> re, Span<float> im)
    {
        if (input.Length < _n || re.Length < _half + 1 || im.Length < _half + 1)
        {
            throw new ArgumentException($"Forward needs {_n} input samples and {_half + 1} output bins.");
        }

        int h = _half;
        float[] zr = _zr, zi = _zi;
        for (int i = 0; i < h; i++)
        {
            int j = _bitrev[i];
            zr[j] = input[2 * i];
            zi[j] = input[(2 * i) + 1];
        }

        Butterflies(zr, zi, inverse: false);

        re[0] = zr[0] + zi[0];
        im[0] = 0;
        re[h] = zr[0] - zi[0];
        im[h] = 0;
        for (int k = 1; k < h; k++)
        {
            float ar = zr[k], ai = zi[k];
            float br = zr[h - k], bi = -zi[h - k]; // conj(Z[h-k])
            float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);      // even part
            float orr = 0.5f * (ar - br), oi = 0.5f * (ai - bi);     // (Z - conj)/2 = i * odd
            // odd = -i * (orr + i oi) = oi - i orr
            float odr = oi, odi = -orr;
            float c = _splitCos[k], s = _splitSin[k];
            re[k] = er + ((odr * c) - (odi * s));
            im[k] = ei + ((odr * s) + (odi * c));
        }
    }

    /// <summary>Time signal (N samples, scaled by 1/N) of the spectrum in <paramref name="re"/>/<paramref name="im"/>.</summary>
    public void Inverse(ReadOnlySpan<float> re, ReadOnlySpan<float> im, Span<float> output)
    {
        if (output.Length < _n || re.Length < _half + 1 || im.Length < _half + 1)
        {
            throw new ArgumentException($"Inverse needs {_half + 1} input bins and {_n} output samples.");
        }

        int h = _half;
        float[] zr = _zr, zi = _zi;
        for (int k = 0; k < h; k++)
        {
            float ar = re[k], ai = im[k];
            float br = re[h - k], bi = -im[h - k]; // conj(X[h-k])
            float er = ar + br, ei = ai + bi;       // 2 * even
            float dr = ar - br, di = ai - bi;       // 2 * odd * W^k
            float c = _splitCos[k], s = -_splitSin[k]; // W^{-k}
            float odr = (dr * c) - (di * s), odi = (dr * s) + (di * c);
            // Z = even + i * odd
            int j = _bitrev[k];
            zr[j] = er - odi;
            zi[j] = ei + odr;
        }

        Butterflies(zr, zi, inverse: true);
        float scale = 1f / _n;
        for (int i = 0; i < h; i++)
        {
            output[2 * i] = zr[i] * scale;
            output[(2 * i) + 1] = zi[i] * scale;
        }
    }

    private void Butterflies(float[] zr, float[] zi, bool inverse)
    {
        int h = _half;
        float sign = inverse ? -1f : 1f;
        // Radix-2 first stage without multiplications.
        for (int i = 0; i < h; i += 2)
        {
            float tr = zr[i + 1], ti = zi[i + 1];
            zr[i + 1] = zr[i] - tr;
            zi[i + 1] = zi[i] - ti;
            zr[i] += tr;
            zi[i] += ti;
        }

        for (int len = 4; len <= h; len <<= 1)
        {
            int halfLen = len >> 1;
            int step = h / len;
            for (int start = 0; start < h; start += len)
            {
                for (int k = 0; k < halfLen; k++)
                {
                    float c = _cosTw[k * step];
                    float s = sign * _sinTw[k * step];
                    int a = start + k, b = a + halfLen;
                    float br = zr[b], bi = zi[b];
                    float tr = (br * c) - (bi * s);
                    float ti = (br * s) + (bi * c);
                    zr[b] = zr[a] - tr;
                    zi[b] = zi[a] - ti;
                    zr[a] += tr;
                    zi[a] += ti;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ReverseBits(uint v)
    {
        v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
        v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
        v = ((v >> 4) & 0x0F0F0F0Fu) | ((v & 0x0F0F0F0Fu) << 4);
        v = ((v >> 8) & 0x00FF00FFu) | ((v & 0x00FF00FFu) << 8);
        return (v >> 16) | (v << 16);
    }
}
