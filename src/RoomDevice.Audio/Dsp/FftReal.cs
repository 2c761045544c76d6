using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RoomDevice.Audio.Dsp;

/// <summary>
/// Real-input FFT of a power-of-two size N, computed as one complex FFT of N/2 points plus a
/// split step. Spectra are kept as separate real and imaginary arrays of N/2 + 1 bins so that the
/// per-bin arithmetic of the adaptive filters vectorises. Forward is unscaled; Inverse divides by N.
/// The wide butterfly stages run a vector of butterflies at a time from per-stage twiddle tables,
/// without bounds checks in the inner loops; each output is still the same scalar sequence of
/// floating-point operations, so results do not depend on the vector width.
/// Allocation happens only in the constructor.
/// </summary>
public sealed class FftReal
{
    private readonly int _n;
    private readonly int _half;
    private readonly float[] _splitCos;
    private readonly float[] _splitSin;
    private readonly int[] _bitrev;
    private readonly float[] _zr;
    private readonly float[] _zi;
    // Twiddles per butterfly stage, laid out contiguously: stage with half length hl holds
    // cos/sin of -2 pi k step / h for k = 0..hl-1 at offset hl - 2 (the stages start at hl = 2).
    private readonly float[] _stageCos;
    private readonly float[] _stageSin;
    private readonly float[] _stageSinNeg;

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
        var cosTw = new float[h / 2];
        var sinTw = new float[h / 2];
        for (int k = 0; k < h / 2; k++)
        {
            double a = -2 * Math.PI * k / h;
            cosTw[k] = (float)Math.Cos(a);
            sinTw[k] = (float)Math.Sin(a);
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
        // Stage half lengths 2, 4, ..., h/2: offsets 0, 2, 6, ... (hl - 2), total h - 2.
        _stageCos = new float[Math.Max(1, h - 2)];
        _stageSin = new float[Math.Max(1, h - 2)];
        _stageSinNeg = new float[Math.Max(1, h - 2)];
        for (int len = 4; len <= h; len <<= 1)
        {
            int hl = len >> 1, step = h / len;
            for (int k = 0; k < hl; k++)
            {
                _stageCos[hl - 2 + k] = cosTw[k * step];
                _stageSin[hl - 2 + k] = sinTw[k * step];
                _stageSinNeg[hl - 2 + k] = -1f * sinTw[k * step];
            }
        }
    }

    /// <summary>Transform size N.</summary>
    public int Size => _n;

    /// <summary>Number of spectrum bins, N/2 + 1.</summary>
    public int Bins => _half + 1;

    /// <summary>Spectrum of <paramref name="input"/> (N samples) into <paramref name="re"/>/<paramref name="im"/> (N/2+1 bins each); unscaled.</summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> re, Span<float> im)
    {
        if (input.Length < _n || re.Length < _half + 1 || im.Length < _half + 1)
        {
            throw new ArgumentException($"Forward needs {_n} input samples and {_half + 1} output bins.");
        }

        int h = _half;
        ref float zr = ref MemoryMarshal.GetArrayDataReference(_zr);
        ref float zi = ref MemoryMarshal.GetArrayDataReference(_zi);
        ref int rev = ref MemoryMarshal.GetArrayDataReference(_bitrev);
        ref float x = ref MemoryMarshal.GetReference(input);
        for (int i = 0; i < h; i++)
        {
            int j = Unsafe.Add(ref rev, i);
            Unsafe.Add(ref zr, j) = Unsafe.Add(ref x, 2 * i);
            Unsafe.Add(ref zi, j) = Unsafe.Add(ref x, (2 * i) + 1);
        }

        Butterflies(inverse: false);

        ref float or = ref MemoryMarshal.GetReference(re);
        ref float oi = ref MemoryMarshal.GetReference(im);
        ref float sc = ref MemoryMarshal.GetArrayDataReference(_splitCos);
        ref float ss = ref MemoryMarshal.GetArrayDataReference(_splitSin);
        or = zr + zi;
        oi = 0;
        Unsafe.Add(ref or, h) = zr - zi;
        Unsafe.Add(ref oi, h) = 0;
        for (int k = 1; k < h; k++)
        {
            float ar = Unsafe.Add(ref zr, k), ai = Unsafe.Add(ref zi, k);
            float br = Unsafe.Add(ref zr, h - k), bi = -Unsafe.Add(ref zi, h - k); // conj(Z[h-k])
            float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);      // even part
            float orr = 0.5f * (ar - br), oii = 0.5f * (ai - bi);    // (Z - conj)/2 = i * odd
            // odd = -i * (orr + i oii) = oii - i orr
            float odr = oii, odi = -orr;
            float c = Unsafe.Add(ref sc, k), s = Unsafe.Add(ref ss, k);
            Unsafe.Add(ref or, k) = er + ((odr * c) - (odi * s));
            Unsafe.Add(ref oi, k) = ei + ((odr * s) + (odi * c));
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
        ref float zr = ref MemoryMarshal.GetArrayDataReference(_zr);
        ref float zi = ref MemoryMarshal.GetArrayDataReference(_zi);
        ref int rev = ref MemoryMarshal.GetArrayDataReference(_bitrev);
        ref float xr = ref MemoryMarshal.GetReference(re);
        ref float xi = ref MemoryMarshal.GetReference(im);
        ref float sc = ref MemoryMarshal.GetArrayDataReference(_splitCos);
        ref float ss = ref MemoryMarshal.GetArrayDataReference(_splitSin);
        for (int k = 0; k < h; k++)
        {
            float ar = Unsafe.Add(ref xr, k), ai = Unsafe.Add(ref xi, k);
            float br = Unsafe.Add(ref xr, h - k), bi = -Unsafe.Add(ref xi, h - k); // conj(X[h-k])
            float er = ar + br, ei = ai + bi;       // 2 * even
            float dr = ar - br, di = ai - bi;       // 2 * odd * W^k
            float c = Unsafe.Add(ref sc, k), s = -Unsafe.Add(ref ss, k); // W^{-k}
            float odr = (dr * c) - (di * s), odi = (dr * s) + (di * c);
            // Z = even + i * odd
            int j = Unsafe.Add(ref rev, k);
            Unsafe.Add(ref zr, j) = er - odi;
            Unsafe.Add(ref zi, j) = ei + odr;
        }

        Butterflies(inverse: true);
        float scale = 1f / _n;
        ref float o = ref MemoryMarshal.GetReference(output);
        for (int i = 0; i < h; i++)
        {
            Unsafe.Add(ref o, 2 * i) = Unsafe.Add(ref zr, i) * scale;
            Unsafe.Add(ref o, (2 * i) + 1) = Unsafe.Add(ref zi, i) * scale;
        }
    }

    private void Butterflies(bool inverse)
    {
        int h = _half;
        ref float zr = ref MemoryMarshal.GetArrayDataReference(_zr);
        ref float zi = ref MemoryMarshal.GetArrayDataReference(_zi);
        // Radix-2 first stage without multiplications.
        for (int i = 0; i < h; i += 2)
        {
            float tr = Unsafe.Add(ref zr, i + 1), ti = Unsafe.Add(ref zi, i + 1);
            Unsafe.Add(ref zr, i + 1) = Unsafe.Add(ref zr, i) - tr;
            Unsafe.Add(ref zi, i + 1) = Unsafe.Add(ref zi, i) - ti;
            Unsafe.Add(ref zr, i) += tr;
            Unsafe.Add(ref zi, i) += ti;
        }

        ref float cosT = ref MemoryMarshal.GetArrayDataReference(_stageCos);
        // sign * sin with sign = -1 for the inverse: the negated table holds exactly those values.
        ref float sinT = ref MemoryMarshal.GetArrayDataReference(inverse ? _stageSinNeg : _stageSin);
        int w = Vector.IsHardwareAccelerated ? Vector<float>.Count : int.MaxValue;
        for (int len = 4; len <= h; len <<= 1)
        {
            int halfLen = len >> 1;
            ref float cs = ref Unsafe.Add(ref cosT, halfLen - 2);
            ref float sn = ref Unsafe.Add(ref sinT, halfLen - 2);
            if (halfLen >= w && halfLen % w == 0)
            {
                for (int start = 0; start < h; start += len)
                {
                    for (int k = 0; k < halfLen; k += w)
                    {
                        var c = Vector.LoadUnsafe(ref cs, (nuint)k);
                        var s = Vector.LoadUnsafe(ref sn, (nuint)k);
                        nuint a = (nuint)(start + k), b = a + (nuint)halfLen;
                        var br = Vector.LoadUnsafe(ref zr, b);
                        var bi = Vector.LoadUnsafe(ref zi, b);
                        var tr = (br * c) - (bi * s);
                        var ti = (br * s) + (bi * c);
                        var ar = Vector.LoadUnsafe(ref zr, a);
                        var ai = Vector.LoadUnsafe(ref zi, a);
                        (ar - tr).StoreUnsafe(ref zr, b);
                        (ai - ti).StoreUnsafe(ref zi, b);
                        (ar + tr).StoreUnsafe(ref zr, a);
                        (ai + ti).StoreUnsafe(ref zi, a);
                    }
                }

                continue;
            }

            for (int start = 0; start < h; start += len)
            {
                for (int k = 0; k < halfLen; k++)
                {
                    float c = Unsafe.Add(ref cs, k);
                    float s = Unsafe.Add(ref sn, k);
                    int a = start + k, b = a + halfLen;
                    float br = Unsafe.Add(ref zr, b), bi = Unsafe.Add(ref zi, b);
                    float tr = (br * c) - (bi * s);
                    float ti = (br * s) + (bi * c);
                    Unsafe.Add(ref zr, b) = Unsafe.Add(ref zr, a) - tr;
                    Unsafe.Add(ref zi, b) = Unsafe.Add(ref zi, a) - ti;
                    Unsafe.Add(ref zr, a) += tr;
                    Unsafe.Add(ref zi, a) += ti;
                }
            }
        }
    }

    private static uint ReverseBits(uint v)
    {
        v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
        v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
        v = ((v >> 4) & 0x0F0F0F0Fu) | ((v & 0x0F0F0F0Fu) << 4);
        v = ((v >> 8) & 0x00FF00FFu) | ((v & 0x00FF00FFu) << 8);
        return (v >> 16) | (v << 16);
    }
}
