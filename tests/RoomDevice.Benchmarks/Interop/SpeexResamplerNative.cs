using System.Reflection;
using System.Runtime.InteropServices;

namespace RoomDevice.Benchmarks.Interop;

/// <summary>
/// SpeexDSP's resampler (libspeexdsp.so.1), the native reference the engine's polyphase resampler
/// is measured against in the same benchmark run.
/// </summary>
internal static partial class SpeexResamplerNative
{
    private const string Library = "speexdsp-resampler";

    static SpeexResamplerNative()
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(SpeexResamplerNative).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // another benchmark area registered a resolver for this assembly first
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == Library && NativeLibrary.TryLoad("libspeexdsp.so.1", assembly, path, out IntPtr h) ? h : IntPtr.Zero;

    [LibraryImport(Library)]
    internal static partial IntPtr speex_resampler_init(uint channels, uint inRate, uint outRate, int quality, out int err);

    [LibraryImport(Library)]
    internal static partial void speex_resampler_destroy(IntPtr st);

    [LibraryImport(Library)]
    internal static unsafe partial int speex_resampler_process_float(IntPtr st, uint channel, float* input, ref uint inLen, float* output, ref uint outLen);

    [LibraryImport(Library)]
    internal static partial int speex_resampler_skip_zeros(IntPtr st);
}

/// <summary>A SpeexDSP resampler, owned.</summary>
internal sealed class SpeexResampler : SafeHandle
{
    public SpeexResampler(int inRate, int outRate, int quality) : base(IntPtr.Zero, true)
    {
        IntPtr st = SpeexResamplerNative.speex_resampler_init(1, (uint)inRate, (uint)outRate, quality, out int err);
        if (st == IntPtr.Zero || err != 0)
        {
            throw new InvalidOperationException($"speex_resampler_init({inRate} -> {outRate}, quality {quality}) failed with {err}");
        }
        SetHandle(st);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public unsafe int Process(ReadOnlySpan<float> input, Span<float> output)
    {
        uint inLen = (uint)input.Length, outLen = (uint)output.Length;
        fixed (float* i = input)
        fixed (float* o = output)
        {
            SpeexResamplerNative.speex_resampler_process_float(handle, 0, i, ref inLen, o, ref outLen);
        }
        return (int)outLen;
    }

    protected override bool ReleaseHandle()
    {
        SpeexResamplerNative.speex_resampler_destroy(handle);
        return true;
    }
}
