namespace RoomDevice.Host.Cli;

/// <summary>Process exit codes of <c>roomdevice</c> (the systemd unit does not restart on <see cref="Config"/>).</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>Something required is missing (selftest) or the host failed while running.</summary>
    public const int Failure = 1;

    /// <summary>A command-line mistake.</summary>
    public const int Usage = 2;

    /// <summary>
    /// A restart was asked for (the restart command, a newly applied fleet config): not 0, so the
    /// unit's Restart=on-failure starts the device again (EX_TEMPFAIL).
    /// </summary>
    public const int Restart = 75;

    /// <summary>A state folder that cannot be created or written (EX_CANTCREAT).</summary>
    public const int CannotCreate = 73;

    /// <summary>The configuration was rejected (EX_CONFIG).</summary>
    public const int Config = 78;
}
