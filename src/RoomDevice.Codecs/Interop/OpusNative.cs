using System.Reflection;
using System.Runtime.InteropServices;

namespace RoomDevice.Codecs.Interop;

/// <summary>Raw bindings to libopus (Debian package libopus0, loaded as libopus.so.0).</summary>
internal static unsafe partial class OpusNative
{
    private const string Library = "opus";

    internal const int Ok = 0;
    internal const int ApplicationVoip = 2048;
    internal const int ApplicationAudio = 2049;
    internal const int ApplicationRestrictedLowDelay = 2051;

    internal const int SetBitrateRequest = 4002;
    internal const int SetMaxBandwidthRequest = 4004;
    internal const int SetVbrRequest = 4006;
    internal const int SetBandwidthRequest = 4008;
    internal const int SetComplexityRequest = 4010;
    internal const int SetInbandFecRequest = 4012;
    internal const int SetPacketLossPercRequest = 4014;
    internal const int SetDtxRequest = 4016;
    internal const int SetSignalRequest = 4024;
    internal const int GetLookaheadRequest = 4027;
    internal const int ResetStateRequest = 4028;
    internal const int GetBitrateRequest = 4003;
    internal const int GetPacketLossPercRequest = 4015;
    internal const int SetForceModeRequest = 11002;

    internal const int ModeSilkOnly = 1000;
    internal const int BandwidthWideband = 1103;
    internal const int BandwidthFullband = 1105;
    internal const int SignalVoice = 3001;

    static OpusNative() => NativeResolver.Register();

    [LibraryImport(Library)]
    internal static partial OpusEncoderHandle opus_encoder_create(int fs, int channels, int application, out int error);

    [LibraryImport(Library)]
    internal static partial void opus_encoder_destroy(IntPtr st);

    [LibraryImport(Library)]
    internal static partial int opus_encode_float(OpusEncoderHandle st, float* pcm, int frameSize, byte* data, int maxDataBytes);

    /// <summary>The same entry point over a bare pointer: the native reference the benchmarks compare against.</summary>
    [LibraryImport(Library, EntryPoint = "opus_encode_float")]
    internal static partial int opus_encode_float_raw(IntPtr st, float* pcm, int frameSize, byte* data, int maxDataBytes);

    // opus_encoder_ctl is variadic; fixed-arity overloads pass ints the same way on Linux x64 and arm64.
    [LibraryImport(Library)]
    internal static partial int opus_encoder_ctl(OpusEncoderHandle st, int request, int value);

    [LibraryImport(Library)]
    internal static partial int opus_encoder_ctl(OpusEncoderHandle st, int request, out int value);

    [LibraryImport(Library, EntryPoint = "opus_encoder_ctl")]
    internal static partial int opus_encoder_ctl_noarg(OpusEncoderHandle st, int request);

    [LibraryImport(Library)]
    internal static partial OpusDecoderHandle opus_decoder_create(int fs, int channels, out int error);

    [LibraryImport(Library)]
    internal static partial void opus_decoder_destroy(IntPtr st);

    [LibraryImport(Library)]
    internal static partial int opus_decode_float(OpusDecoderHandle st, byte* data, int len, float* pcm, int frameSize, int decodeFec);

    /// <summary>The same entry point over a bare pointer: the native reference the benchmarks compare against.</summary>
    [LibraryImport(Library, EntryPoint = "opus_decode_float")]
    internal static partial int opus_decode_float_raw(IntPtr st, byte* data, int len, float* pcm, int frameSize, int decodeFec);

    [LibraryImport(Library, EntryPoint = "opus_decoder_ctl")]
    internal static partial int opus_decoder_ctl_noarg(OpusDecoderHandle st, int request);

    [LibraryImport(Library)]
    private static partial IntPtr opus_strerror(int error);

    [LibraryImport(Library)]
    private static partial IntPtr opus_get_version_string();

    /// <summary>libopus' text for an error code.</summary>
    internal static string ErrorText(int error) => Marshal.PtrToStringUTF8(opus_strerror(error)) ?? $"error {error}";

    /// <summary>The loaded library's version, e.g. "libopus 1.3.1".</summary>
    internal static string Version() => Marshal.PtrToStringUTF8(opus_get_version_string()) ?? "unknown";

    /// <summary>Throws naming the call and libopus' reason when <paramref name="result"/> is an error.</summary>
    internal static int Check(int result, string call)
    {
        if (result < 0)
        {
            throw new InvalidOperationException($"{call} failed: {ErrorText(result)} ({result})");
        }
        return result;
    }

    /// <summary>Turns a missing library into an error that says which package provides it.</summary>
    internal static T Load<T>(Func<T> create)
    {
        try
        {
            return create();
        }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException(
                $"libopus.so.0 could not be loaded ({e.Message}); install the Debian package libopus0", e);
        }
    }
}

/// <summary>Maps the library names used in this assembly to the sonames present on the device.</summary>
internal static class NativeResolver
{
    private static readonly Lock Gate = new();
    private static bool registered;

    internal static void Register()
    {
        lock (Gate)
        {
            if (registered)
            {
                return;
            }
            NativeLibrary.SetDllImportResolver(typeof(NativeResolver).Assembly, Resolve);
            registered = true;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        // The device has no -dev symlinks, so the versioned soname is the one that exists.
        string? soname = name switch
        {
            "opus" or "libopus" => "libopus.so.0",
            _ => null,
        };
        if (soname is not null && NativeLibrary.TryLoad(soname, assembly, searchPath, out IntPtr handle))
        {
            return handle;
        }
        return IntPtr.Zero;
    }
}

/// <summary>Owns an OpusEncoder*.</summary>
internal sealed class OpusEncoderHandle : SafeHandle
{
    /// <summary>Used by the marshaller.</summary>
    public OpusEncoderHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        OpusNative.opus_encoder_destroy(handle);
        return true;
    }
}

/// <summary>Owns an OpusDecoder*.</summary>
internal sealed class OpusDecoderHandle : SafeHandle
{
    /// <summary>Used by the marshaller.</summary>
    public OpusDecoderHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        OpusNative.opus_decoder_destroy(handle);
        return true;
    }
}
