using System.Numerics.Tensors;
using RoomDevice.Audio.Dsp;

namespace RoomDevice.Audio.Simulation;

/// <summary>
/// One signal's recent spectra for uniformly partitioned overlap-save convolution: 480-sample
/// blocks (10 ms at 48 kHz) in 1024-point transforms. Several <see cref="ConvolutionKernel"/>s
/// (e.g. the impulse responses from one loudspeaker to each microphone) share one delay line,
/// so the input is transformed once per block. Allocation-free after construction.
/// </summary>
public sealed class SpectralDelayLine
{
    /// <summary>Samples per block and per filter partition.</summary>
    public const int BlockSize = 480;

    /// <summary>Transform size: at least block + partition - 1.</summary>
    public const int FftSize = 1024;

    private readonly FftReal _fft;
    private readonly float[] _time = new float[FftSize];
    private readonly float[][] _re, _im;
    private int _head;

    /// <summary>Keeps the spectra of the last <paramref name="partitions"/> blocks.</summary>
    public SpectralDelayLine(int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        _fft = new FftReal(FftSize);
        Partitions = partitions;
        _re = new float[partitions][];
        _im = new float[partitions][];
        for (int p = 0; p < partitions; p++)
        {
            _re[p] = new float[_fft.Bins];
            _im[p] = new float[_fft.Bins];
        }
    }

    /// <summary>Blocks of history kept.</summary>
    public int Partitions { get; }

    internal FftReal Fft => _fft;

    /// <summary>Takes the next block of <see cref="BlockSize"/> input samples.</summary>
    public void Push(ReadOnlySpan<float> block)
    {
        if (block.Length != BlockSize)
        {
            throw new ArgumentException($"block of {block.Length} samples; the convolver takes {BlockSize}", nameof(block));
        }
        Span<float> t = _time;
        t[BlockSize..].CopyTo(t);
        block.CopyTo(t[(FftSize - BlockSize)..]);
        _head = (_head + 1) % Partitions;
        _fft.Forward(t, _re[_head], _im[_head]);
    }

    /// <summary>Spectrum of the block <paramref name="age"/> blocks ago (0 = newest).</summary>
    internal (float[] Re, float[] Im) Spectrum(int age)
    {
        int i = (_head - age) % Partitions;
        if (i < 0)
        {
            i += Partitions;
        }
        return (_re[i], _im[i]);
    }
}

/// <summary>An impulse response cut into 480-tap partitions and transformed, ready to convolve with a <see cref="SpectralDelayLine"/>.</summary>
public sealed class ConvolutionKernel
{
    private readonly float[][] _re, _im, _negIm;
    private readonly float[] _accRe, _accIm, _out;

    /// <summary>Transforms <paramref name="impulseResponse"/> (any length).</summary>
    public ConvolutionKernel(ReadOnlySpan<float> impulseResponse)
    {
        if (impulseResponse.IsEmpty)
        {
            throw new ArgumentException("impulse response is empty", nameof(impulseResponse));
        }
        const int b = SpectralDelayLine.BlockSize;
        Partitions = (impulseResponse.Length + b - 1) / b;
        var fft = new FftReal(SpectralDelayLine.FftSize);
        _re = new float[Partitions][];
        _im = new float[Partitions][];
        _negIm = new float[Partitions][];
        var padded = new float[SpectralDelayLine.FftSize];
        for (int p = 0; p < Partitions; p++)
        {
            Array.Clear(padded);
            ReadOnlySpan<float> part = impulseResponse.Slice(p * b, Math.Min(b, impulseResponse.Length - (p * b)));
            part.CopyTo(padded);
            _re[p] = new float[fft.Bins];
            _im[p] = new float[fft.Bins];
            _negIm[p] = new float[fft.Bins];
            fft.Forward(padded, _re[p], _im[p]);
            TensorPrimitives.Negate(_im[p], _negIm[p]);
        }
        _accRe = new float[fft.Bins];
        _accIm = new float[fft.Bins];
        _out = new float[SpectralDelayLine.FftSize];
    }

    /// <summary>480-tap partitions.</summary>
    public int Partitions { get; }

    /// <summary>
    /// Writes the newest block of (input * impulse response) to <paramref name="output"/>
    /// (<see cref="SpectralDelayLine.BlockSize"/> samples), adding it when <paramref name="accumulate"/>.
    /// </summary>
    public void Convolve(SpectralDelayLine input, Span<float> output, bool accumulate = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Partitions < Partitions)
        {
            throw new ArgumentException($"delay line keeps {input.Partitions} blocks; this kernel needs {Partitions}", nameof(input));
        }
        Array.Clear(_accRe);
        Array.Clear(_accIm);
        for (int p = 0; p < Partitions; p++)
        {
            var (xr, xi) = input.Spectrum(p);
            // (xr + i xi)(hr + i hi) = xr hr - xi hi + i (xr hi + xi hr)
            TensorPrimitives.FusedMultiplyAdd(xr, _re[p], _accRe, _accRe);
            TensorPrimitives.FusedMultiplyAdd(xi, _negIm[p], _accRe, _accRe);
            TensorPrimitives.FusedMultiplyAdd(xr, _im[p], _accIm, _accIm);
            TensorPrimitives.FusedMultiplyAdd(xi, _re[p], _accIm, _accIm);
        }
        input.Fft.Inverse(_accRe, _accIm, _out);
        ReadOnlySpan<float> valid = _out.AsSpan(SpectralDelayLine.FftSize - SpectralDelayLine.BlockSize);
        if (accumulate)
        {
            TensorPrimitives.Add(output, valid, output);
        }
        else
        {
            valid.CopyTo(output);
        }
    }
}
