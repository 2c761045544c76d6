using System.Numerics.Tensors;

namespace RoomDevice.Audio.Dsp;

/// <summary>RMS and peak of the last frame in dBFS, readable from any thread.</summary>
public sealed class LevelMeter
{
    /// <summary>Level reported for digital silence.</summary>
    public const double FloorDb = -120;

    private double _rmsDb = FloorDb;
    private double _peakDb = FloorDb;

    /// <summary>RMS of the last frame, dBFS.</summary>
    public double RmsDb => Volatile.Read(ref _rmsDb);

    /// <summary>Peak of the last frame, dBFS.</summary>
    public double PeakDb => Volatile.Read(ref _peakDb);

    /// <summary>Measures one frame.</summary>
    public void Measure(ReadOnlySpan<float> frame)
    {
        if (frame.IsEmpty)
        {
            return;
        }
        float energy = TensorPrimitives.SumOfSquares(frame);
        float peak = TensorPrimitives.MaxMagnitude(frame);
        Volatile.Write(ref _rmsDb, ToDb(Math.Sqrt(energy / frame.Length)));
        Volatile.Write(ref _peakDb, ToDb(Math.Abs(peak)));
    }

    /// <summary>Amplitude to dBFS, floored at <see cref="FloorDb"/>.</summary>
    public static double ToDb(double amplitude) => amplitude <= 1e-6 ? FloorDb : Math.Max(FloorDb, 20 * Math.Log10(amplitude));
}
