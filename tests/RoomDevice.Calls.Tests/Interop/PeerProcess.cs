using System.Diagnostics;

namespace RoomDevice.Calls.Tests.Interop;

/// <summary>Stopping the real SIP peers (baresip, SIPp) that the interop tests start.</summary>
internal static class PeerProcess
{
    /// <summary>Kills <paramref name="process"/> and its children if still running, then disposes it.</summary>
    public static void StopAndDispose(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // it was never started or has already been reaped
        }
        process.Dispose();
    }
}
