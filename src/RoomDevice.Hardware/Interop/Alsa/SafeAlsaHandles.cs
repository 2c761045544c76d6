using System.Runtime.InteropServices;

namespace RoomDevice.Hardware.Interop.Alsa;

/// <summary>An open snd_pcm_t; closing releases the device (and the private configuration it was opened with).</summary>
internal sealed class SafePcmHandle : SafeHandle
{
    public SafePcmHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal SafePcmHandle(IntPtr pcm, SafeAlsaConfigHandle? config) : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(pcm);
        Config = config;
    }

    /// <summary>The in-memory configuration the PCM was opened with, kept alive as long as the PCM.</summary>
    internal SafeAlsaConfigHandle? Config { get; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        int r = LibAsound.snd_pcm_close(handle);
        Config?.Dispose();
        return r >= 0;
    }
}

/// <summary>A snd_config_t tree loaded from text.</summary>
internal sealed class SafeAlsaConfigHandle : SafeHandle
{
    public SafeAlsaConfigHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal SafeAlsaConfigHandle(IntPtr config) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(config);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => LibAsound.snd_config_delete(handle) >= 0;
}

/// <summary>A snd_pcm_hw_params_t.</summary>
internal sealed class SafeHwParamsHandle : SafeHandle
{
    public SafeHwParamsHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal SafeHwParamsHandle(IntPtr p) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(p);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LibAsound.snd_pcm_hw_params_free(handle);
        return true;
    }
}

/// <summary>A snd_pcm_sw_params_t.</summary>
internal sealed class SafeSwParamsHandle : SafeHandle
{
    public SafeSwParamsHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal SafeSwParamsHandle(IntPtr p) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(p);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LibAsound.snd_pcm_sw_params_free(handle);
        return true;
    }
}
