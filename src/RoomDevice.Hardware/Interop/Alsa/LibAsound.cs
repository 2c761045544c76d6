using System.Reflection;
using System.Runtime.InteropServices;

namespace RoomDevice.Hardware.Interop.Alsa;

/// <summary>
/// Raw bindings of libasound.so.2 (ALSA 1.2). Only what the audio engine uses: PCM open with a
/// global or an in-memory configuration, hw/sw parameters, interleaved read/write, xrun recovery
/// and device name hints. Errors are negative errno values; the AlsaPcm proxy turns them into exceptions.
/// </summary>
internal static partial class LibAsound
{
    internal const string Library = "asound";

    internal const int StreamPlayback = 0, StreamCapture = 1;
    internal const int AccessRwInterleaved = 3;
    internal const int FormatS16Le = 2, FormatS32Le = 10, FormatFloatLe = 14;
    internal const int Epipe = 32, Estrpipe = 86, Eintr = 4, Eagain = 11, Enoent = 2;

    static LibAsound() => AlsaResolver.EnsureRegistered();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int snd_pcm_open(out IntPtr pcm, string name, int stream, int mode);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int snd_pcm_open_lconf(out IntPtr pcm, string name, int stream, int mode, SafeAlsaConfigHandle lconf);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_close(IntPtr pcm);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_malloc(out IntPtr ptr);

    [LibraryImport(Library)]
    internal static partial void snd_pcm_hw_params_free(IntPtr ptr);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_any(SafePcmHandle pcm, SafeHwParamsHandle p);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_set_access(SafePcmHandle pcm, SafeHwParamsHandle p, int access);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_test_format(SafePcmHandle pcm, SafeHwParamsHandle p, int format);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_set_format(SafePcmHandle pcm, SafeHwParamsHandle p, int format);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_test_channels(SafePcmHandle pcm, SafeHwParamsHandle p, uint val);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_set_channels(SafePcmHandle pcm, SafeHwParamsHandle p, uint val);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_get_channels_min(SafeHwParamsHandle p, out uint val);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_get_channels_max(SafeHwParamsHandle p, out uint val);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_test_rate(SafePcmHandle pcm, SafeHwParamsHandle p, uint val, int dir);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_set_rate(SafePcmHandle pcm, SafeHwParamsHandle p, uint val, int dir);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_set_rate_resample(SafePcmHandle pcm, SafeHwParamsHandle p, uint val);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_get_rate_min(SafeHwParamsHandle p, out uint val, out int dir);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_get_rate_max(SafeHwParamsHandle p, out uint val, out int dir);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_set_period_size_near(SafePcmHandle pcm, SafeHwParamsHandle p, ref nuint val, ref int dir);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params_set_buffer_size_near(SafePcmHandle pcm, SafeHwParamsHandle p, ref nuint val);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_hw_params(SafePcmHandle pcm, SafeHwParamsHandle p);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_sw_params_malloc(out IntPtr ptr);

    [LibraryImport(Library)]
    internal static partial void snd_pcm_sw_params_free(IntPtr ptr);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_sw_params_current(SafePcmHandle pcm, SafeSwParamsHandle p);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_sw_params_set_start_threshold(SafePcmHandle pcm, SafeSwParamsHandle p, nuint val);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_sw_params_set_avail_min(SafePcmHandle pcm, SafeSwParamsHandle p, nuint val);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_sw_params(SafePcmHandle pcm, SafeSwParamsHandle p);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_prepare(SafePcmHandle pcm);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_start(SafePcmHandle pcm);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_drop(SafePcmHandle pcm);

    [LibraryImport(Library)]
    internal static unsafe partial nint snd_pcm_readi(SafePcmHandle pcm, void* buffer, nuint frames);

    [LibraryImport(Library)]
    internal static unsafe partial nint snd_pcm_writei(SafePcmHandle pcm, void* buffer, nuint frames);

    [LibraryImport(Library)]
    internal static partial int snd_pcm_recover(SafePcmHandle pcm, int err, int silent);

    [LibraryImport(Library)]
    internal static partial IntPtr snd_strerror(int errnum);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int snd_device_name_hint(int card, string iface, out IntPtr hints);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr snd_device_name_get_hint(IntPtr hint, string id);

    [LibraryImport(Library)]
    internal static partial int snd_device_name_free_hint(IntPtr hints);

    [LibraryImport(Library)]
    internal static partial int snd_input_buffer_open(out IntPtr input, byte[] buffer, nint size);

    [LibraryImport(Library)]
    internal static partial int snd_input_close(IntPtr input);

    [LibraryImport(Library)]
    internal static partial int snd_config_top(out IntPtr config);

    [LibraryImport(Library)]
    internal static partial int snd_config_load(SafeAlsaConfigHandle config, IntPtr input);

    [LibraryImport(Library)]
    internal static partial int snd_config_delete(IntPtr config);

    [LibraryImport(Library)]
    internal static partial IntPtr snd_asoundlib_version();

    /// <summary>Replaces libasound's error printer (which writes to stderr) with <paramref name="handler"/>.</summary>
    [LibraryImport(Library)]
    internal static unsafe partial int snd_lib_error_set_handler(delegate* unmanaged<IntPtr, int, IntPtr, int, IntPtr, void> handler);

    /// <summary>
    /// Swallows libasound's own error lines: every failure already reaches the caller as an error
    /// code that <see cref="ErrorText"/> describes, in an exception naming the device. The C
    /// handler is variadic; this one reads none of the variable arguments, which is safe on the
    /// Linux x64 and arm64 calling conventions.
    /// </summary>
    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    internal static void QuietErrorHandler(IntPtr file, int line, IntPtr function, int err, IntPtr fmt)
    {
    }

    /// <summary>ALSA's text for an error code.</summary>
    internal static string ErrorText(int err) => Marshal.PtrToStringUTF8(snd_strerror(err)) ?? $"error {err}";
}

/// <summary>The bits of libc the device threads need: real-time scheduling and free().</summary>
internal static partial class LibC
{
    internal const string Library = "libc.so.6";
    internal const int SchedFifo = 1;

    [StructLayout(LayoutKind.Sequential)]
    internal struct SchedParam
    {
        public int Priority;
    }

    /// <summary>pid 0 means the calling thread on Linux.</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int sched_setscheduler(int pid, int policy, in SchedParam param);

    [LibraryImport(Library)]
    internal static partial void free(IntPtr ptr);

    /// <summary>Sets a variable in the native environment, which libasound reads (the managed copy is separate).</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int setenv(string name, string value, int overwrite);
}

/// <summary>
/// Maps the library name "asound" to libasound.so.2: the device has no -dev packages, so the
/// unversioned libasound.so symlink does not exist.
/// </summary>
internal static class AlsaResolver
{
    private static int _registered;

    internal static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
        {
            return;
        }
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(AlsaResolver).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Another resolver already serves this assembly; it must map "asound" too.
        }
        if (NativeLibrary.TryLoad("libasound.so.2", out IntPtr lib))
        {
            NativeLibrary.Free(lib);
            unsafe
            {
                LibAsound.snd_lib_error_set_handler(&LibAsound.QuietErrorHandler);
            }
        }
    }

    internal static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name == LibAsound.Library)
        {
            return NativeLibrary.TryLoad("libasound.so.2", assembly, path, out IntPtr h) ? h : IntPtr.Zero;
        }
        return IntPtr.Zero;
    }

    /// <summary>True when libasound.so.2 can be loaded; <paramref name="detail"/> says why not.</summary>
    internal static bool TryLoad(out string detail)
    {
        if (NativeLibrary.TryLoad("libasound.so.2", out IntPtr h))
        {
            EnsureRegistered();
            detail = "libasound.so.2 (ALSA " + (Marshal.PtrToStringUTF8(LibAsound.snd_asoundlib_version()) ?? "?") + ")";
            NativeLibrary.Free(h);
            return true;
        }
        detail = "libasound.so.2 not found (Debian package libasound2)";
        return false;
    }
}
