using System.Numerics.Tensors;
using RoomDevice.Audio.Frames;

namespace RoomDevice.Audio.Dsp;

/// <summary>
/// Integer-ratio sample-rate converter (e.g. 48 kHz to 16 kHz and back) built on one linear-phase
/// Kaiser-windowed low-pass FIR split into polyphase branches. Decimation computes only the kept
/// outputs; interpolation runs one short branch per output phase. The inner products run through
/// <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>, which uses
/// Vector128/256/512 on the running CPU. History lives in one linear buffer so every window is a
/// contiguous span; nothing is allocated after construction.
/// </summary>
public sealed class PolyphaseResampler : IRateConverter
{
    /// <summary>Default stopband attenuation of the prototype filter, dB.</summary>
    public const double DefaultStopbandDb = 90;

    private readonly int _factor;
    private readonly bool _decimate;
    private readonly int _window;          // samples of input history one output needs
    private readonly float[] _taps;        // decimation: reversed prototype; interpolation: reversed branches, branch-major
    private readonly float[] _buffer;      // [history (_window - 1)][block]
    private readonly int _maxBlock;
    private readonly int _delayHigh;       // filter delay in high-rate samples
    private readonly int _phase;           // decimation: offset of the kept sample in each group

    /// <summary>
    /// Creates a converter from <paramref name="inputRate"/> to <paramref name="outputRate"/>, one of
    /// which must divide the other. The pass band reaches <paramref name="passbandFraction"/> of the
    /// lower rate's Nyquist frequency and the stop band starts at that Nyquist frequency.
    /// <paramref name="maxBlock"/> is the longest input accepted by one <see cref="Process"/> call.
    /// </summary>
    public PolyphaseResampler(int inputRate, int outputRate, int maxBlock = 4800,
        double passbandFraction = 0.875, double stopbandDb = DefaultStopbandDb)
    {
        if (inputRate <= 0 || outputRate <= 0 || (inputRate % outputRate != 0 && outputRate % inputRate != 0))
        {
            throw new ArgumentException(
                $"cannot convert {inputRate} Hz to {outputRate} Hz; accepted: rates where one divides the other (e.g. 48000 and 16000)");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBlock, 1);
        if (passbandFraction is <= 0.1 or >= 0.99)
        {
            throw new ArgumentOutOfRangeException(nameof(passbandFraction), passbandFraction, "accepted: 0.1 to 0.99");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(stopbandDb, 20);
        InputRate = inputRate;
        OutputRate = outputRate;
        _decimate = inputRate > outputRate;
        _factor = _decimate ? inputRate / outputRate : outputRate / inputRate;
        _maxBlock = maxBlock;
        if (_factor == 1)
        {
            _window = 1;
            _taps = [1f];
            _buffer = new float[maxBlock];
            return;
        }

        // Prototype at the high rate: transition from passbandFraction to 1.0 of the low Nyquist.
        double lowNyquist = 0.5 / _factor;                           // cycles per high-rate sample
        double fPass = passbandFraction * lowNyquist, fStop = lowNyquist;
        double transition = 2 * Math.PI * (fStop - fPass);           // radians per sample
        int design = (int)Math.Ceiling((stopbandDb - 7.95) / (2.285 * transition)) + 1;
        design |= 1;                                                  // odd: a whole-sample delay
        int length = (design + _factor - 1) / _factor * _factor;      // whole number of branches (zero-padded)
        double beta = stopbandDb > 50 ? 0.1102 * (stopbandDb - 8.7) : (0.5842 * Math.Pow(stopbandDb - 21, 0.4)) + (0.07886 * (stopbandDb - 21));
        double cutoff = (fPass + fStop) / 2;
        double[] h = new double[length];
        DesignLowPass(design, cutoff, beta).CopyTo(h, 0);
        TapsLength = design;
        _delayHigh = (design - 1) / 2;
        // Decimation keeps the output whose window ends _phase samples into each group of M, so
        // that the delay is a whole number of output samples too.
        _phase = _delayHigh % _factor;

        if (_decimate)
        {
            _window = length;
            _taps = new float[length];
            for (int k = 0; k < length; k++)
            {
                _taps[k] = (float)h[length - 1 - k];
            }
        }
        else
        {
            int branch = length / _factor;
            _window = branch;
            _taps = new float[length];
            for (int p = 0; p < _factor; p++)
            {
                for (int k = 0; k < branch; k++)
                {
                    // y[nL+p] = L * sum_k h[kL+p] x[n-k]; stored reversed so it meets the window oldest-first.
                    _taps[(p * branch) + (branch - 1 - k)] = (float)(h[(k * _factor) + p] * _factor);
                }
            }
        }
        _buffer = new float[_window - 1 + maxBlock];
    }

    /// <inheritdoc />
    public int InputRate { get; }

    /// <inheritdoc />
    public int OutputRate { get; }

    /// <summary>Taps of the prototype low-pass filter, an odd number (0 for a plain copy).</summary>
    public int TapsLength { get; }

    /// <summary>Delay of the converter in output samples: a whole number (linear phase, odd prototype).</summary>
    public double DelayOutputSamples => TapsLength == 0 ? 0
        : _decimate ? (_delayHigh - _phase) / (double)_factor
        : _delayHigh;

    /// <inheritdoc />
    public int OutputLength(int inputSamples) => _decimate ? inputSamples / _factor : inputSamples * _factor;

    /// <inheritdoc />
    public int Process(ReadOnlySpan<float> input, Span<float> output)
    {
        if (input.Length > _maxBlock)
        {
            throw new ArgumentException($"block of {input.Length} samples; this converter takes at most {_maxBlock}", nameof(input));
        }
        if (_decimate && input.Length % _factor != 0)
        {
            throw new ArgumentException($"block of {input.Length} samples is not a multiple of the decimation factor {_factor}", nameof(input));
        }
        int outLen = OutputLength(input.Length);
        if (output.Length < outLen)
        {
            throw new ArgumentException($"output holds {output.Length} samples; {outLen} needed", nameof(output));
        }
        if (_factor == 1)
        {
            input.CopyTo(output);
            return outLen;
        }

        int hist = _window - 1;
        Span<float> buf = _buffer;
        input.CopyTo(buf[hist..]);
        ReadOnlySpan<float> taps = _taps;
        if (_decimate)
        {
            // Output n is the window ending at input sample n*M + _phase.
            for (int n = 0, i = _phase; n < outLen; n++, i += _factor)
            {
                output[n] = TensorPrimitives.Dot(buf.Slice(i, _window), taps);
            }
        }
        else
        {
            int branch = _window;
            for (int n = 0, o = 0; n < input.Length; n++)
            {
                ReadOnlySpan<float> win = buf.Slice(n, branch);
                for (int p = 0; p < _factor; p++)
                {
                    output[o++] = TensorPrimitives.Dot(win, taps.Slice(p * branch, branch));
                }
            }
        }
        // Keep the newest hist samples for the next block.
        buf.Slice(input.Length, hist).CopyTo(buf);
        return outLen;
    }

    /// <inheritdoc />
    public void Reset() => Array.Clear(_buffer);

    /// <summary>
    /// Converts a whole signal (e.g. a WAV file loaded for a scene), compensating the filter delay
    /// so the output lines up with the input. Allocates; not for the media path.
    /// </summary>
    public static float[] ConvertSignal(ReadOnlySpan<float> input, int inputRate, int outputRate)
    {
        var r = new PolyphaseResampler(inputRate, outputRate, 4800);
        if (r._factor == 1)
        {
            return input.ToArray();
        }
        int block = r._decimate ? 4800 / r._factor * r._factor : 4800;
        int delay = (int)Math.Round(r.DelayOutputSamples);
        int tailIn = r._decimate ? (delay + 1) * r._factor : (delay / r._factor) + 1;
        int padded = input.Length + tailIn;
        if (r._decimate)
        {
            padded = (padded + r._factor - 1) / r._factor * r._factor;
        }
        var x = new float[padded];
        input.CopyTo(x);
        var y = new float[r.OutputLength(padded)];
        int o = 0;
        for (int i = 0; i < padded; i += block)
        {
            o += r.Process(x.AsSpan(i, Math.Min(block, padded - i)), y.AsSpan(o));
        }
        int outLen = r.OutputLength(input.Length - (r._decimate ? input.Length % r._factor : 0));
        return y.AsSpan(delay, Math.Min(outLen, y.Length - delay)).ToArray();
    }

    /// <summary>Windowed-sinc low-pass with cutoff <paramref name="cutoff"/> (cycles/sample), unity DC gain.</summary>
    internal static double[] DesignLowPass(int length, double cutoff, double beta)
    {
        var h = new double[length];
        double mid = (length - 1) / 2.0, sum = 0, i0Beta = BesselI0(beta);
        for (int n = 0; n < length; n++)
        {
            double t = n - mid;
            double sinc = t == 0 ? 2 * cutoff : Math.Sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
            double r = (2.0 * n / (length - 1)) - 1;
            double w = BesselI0(beta * Math.Sqrt(Math.Max(0, 1 - (r * r)))) / i0Beta;
            h[n] = sinc * w;
            sum += h[n];
        }
        for (int n = 0; n < length; n++)
        {
            h[n] /= sum;
        }
        return h;
    }

    private static double BesselI0(double x)
    {
        double sum = 1, term = 1, half = x / 2;
        for (int k = 1; k < 64; k++)
        {
            term *= half / k;
            double t2 = term * term;
            sum += t2;
            if (t2 < sum * 1e-17)
            {
                break;
            }
        }
        return sum;
    }
}
