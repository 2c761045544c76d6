using System.Diagnostics;
using RoomDevice.Audio.Pipeline;

namespace RoomDevice.Audio.Processing;

/// <summary>
/// Runs a capture processor over whole signals frame by frame, exactly as live, and removes the
/// processor's fixed latency so the output is time-aligned with the microphone and as long as it.
/// </summary>
public static class CaptureFileProcessor
{
    /// <summary>Processes <paramref name="mic"/> with <paramref name="reference"/>; returns output and CPU time per frame (µs).</summary>
    public static (float[] Output, double MicrosecondsPerFrame) Run(ICaptureProcessor processor, ReadOnlySpan<float> mic, ReadOnlySpan<float> reference)
    {
        ArgumentNullException.ThrowIfNull(processor);
        if (mic.Length != reference.Length)
        {
            throw new ArgumentException($"Microphone and reference must have the same length; got {mic.Length} and {reference.Length} samples.");
        }

        int f = processor.FrameSize;
        int latency = processor is IProcessingLatency pl ? pl.LatencySamples : 0;
        int total = mic.Length + latency;
        int frames = (total + f - 1) / f;
        var output = new float[mic.Length];
        var mf = new float[f];
        var rf = new float[f];
        var of = new float[f];
        long ticks = 0;
        for (int n = 0; n < frames; n++)
        {
            int start = n * f;
            for (int i = 0; i < f; i++)
            {
                int t = start + i;
                mf[i] = t < mic.Length ? mic[t] : 0f;
                rf[i] = t < reference.Length ? reference[t] : 0f;
            }

            long t0 = Stopwatch.GetTimestamp();
            processor.AnalyzeRender(rf);
            processor.ProcessCapture(mf, of);
            ticks += Stopwatch.GetTimestamp() - t0;
            for (int i = 0; i < f; i++)
            {
                int t = start + i - latency;
                if (t >= 0 && t < output.Length)
                {
                    float v = of[i];
                    output[t] = float.IsFinite(v) ? v : 0f;
                }
            }
        }

        double us = ticks * 1e6 / Stopwatch.Frequency / Math.Max(1, frames);
        return (output, us);
    }
}
