using System.Reflection;
using System.Runtime.InteropServices;

namespace RoomDevice.Audio.Interop.Speex;

/// <summary>Raw bindings to SpeexDSP 1.2 (libspeexdsp.so.1): MDF echo canceller and preprocessor.</summary>
internal static partial class SpeexNative
{
    internal const string Library = "speexdsp";

    // speex_echo.h
    internal const int SPEEX_ECHO_SET_SAMPLING_RATE = 24;

    // speex_preprocess.h
    internal const int SPEEX_PREPROCESS_SET_DENOISE = 0;
    internal const int SPEEX_PREPROCESS_SET_AGC = 2;
    internal const int SPEEX_PREPROCESS_SET_VAD = 4;
    internal const int SPEEX_PREPROCESS_SET_DEREVERB = 8;
    internal const int SPEEX_PREPROCESS_SET_ECHO_STATE = 24;

    private static int _registered;

    /// <summary>Maps "speexdsp" to the runtime library name (the device has no -dev symlink).</summary>
    internal static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _registered, 1) != 0)
        {
            return;
        }

        try
        {
            NativeLibrary.SetDllImportResolver(typeof(SpeexNative).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Another part of this assembly registered a resolver first; LibraryImport then falls
            // back to the default probing, which Resolve's fallback below mirrors.
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name == Library)
        {
            if (NativeLibrary.TryLoad("libspeexdsp.so.1", assembly, path, out IntPtr h))
            {
                return h;
            }

            throw new DllNotFoundException("libspeexdsp.so.1 was not found; install the Debian package libspeexdsp1 (scripts/install-deps).");
        }

        return IntPtr.Zero;
    }

    [LibraryImport(Library, EntryPoint = "speex_echo_state_init")]
    internal static partial IntPtr EchoStateInit(int frameSize, int filterLength);

    [LibraryImport(Library, EntryPoint = "speex_echo_state_destroy")]
    internal static partial void EchoStateDestroy(IntPtr st);

    [LibraryImport(Library, EntryPoint = "speex_echo_cancellation")]
    internal static unsafe partial void EchoCancellation(SpeexEchoHandle st, short* rec, short* play, short* output);

    [LibraryImport(Library, EntryPoint = "speex_echo_ctl")]
    internal static unsafe partial int EchoCtl(SpeexEchoHandle st, int request, void* ptr);

    [LibraryImport(Library, EntryPoint = "speex_preprocess_state_init")]
    internal static partial IntPtr PreprocessStateInit(int frameSize, int samplingRate);

    [LibraryImport(Library, EntryPoint = "speex_preprocess_state_destroy")]
    internal static partial void PreprocessStateDestroy(IntPtr st);

    [LibraryImport(Library, EntryPoint = "speex_preprocess_ctl")]
    internal static unsafe partial int PreprocessCtl(SpeexPreprocessHandle st, int request, void* ptr);

    [LibraryImport(Library, EntryPoint = "speex_preprocess_run")]
    internal static unsafe partial int PreprocessRun(SpeexPreprocessHandle st, short* x);
}

/// <summary>Owns a SpeexEchoState.</summary>
internal sealed class SpeexEchoHandle : SafeHandle
{
    public SpeexEchoHandle() : base(IntPtr.Zero, true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    internal static SpeexEchoHandle Create(int frameSize, int filterLength)
    {
        SpeexNative.EnsureResolver();
        IntPtr p = SpeexNative.EchoStateInit(frameSize, filterLength);
        if (p == IntPtr.Zero)
        {
            throw new InvalidOperationException($"speex_echo_state_init({frameSize}, {filterLength}) failed.");
        }

        var h = new SpeexEchoHandle();
        h.SetHandle(p);
        return h;
    }

    protected override bool ReleaseHandle()
    {
        SpeexNative.EchoStateDestroy(handle);
        return true;
    }
}

/// <summary>Owns a SpeexPreprocessState.</summary>
internal sealed class SpeexPreprocessHandle : SafeHandle
{
    public SpeexPreprocessHandle() : base(IntPtr.Zero, true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    internal static SpeexPreprocessHandle Create(int frameSize, int sampleRate)
    {
        SpeexNative.EnsureResolver();
        IntPtr p = SpeexNative.PreprocessStateInit(frameSize, sampleRate);
        if (p == IntPtr.Zero)
        {
            throw new InvalidOperationException($"speex_preprocess_state_init({frameSize}, {sampleRate}) failed.");
        }

        var h = new SpeexPreprocessHandle();
        h.SetHandle(p);
        return h;
    }

    protected override bool ReleaseHandle()
    {
        SpeexNative.PreprocessStateDestroy(handle);
        return true;
    }
}
