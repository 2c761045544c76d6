namespace RoomDevice.Fleet;

/// <summary>roomctl exit codes.</summary>
internal static class ExitCodes
{
    /// <summary>Everything asked for succeeded.</summary>
    public const int Ok = 0;

    /// <summary>At least one device failed, refused or did not answer.</summary>
    public const int SomeFailed = 1;

    /// <summary>Bad command line or input file.</summary>
    public const int Usage = 2;

    /// <summary>The broker could not be reached or refused.</summary>
    public const int Broker = 3;
}

/// <summary>A mistake on the command line or in an input file; the message says what is accepted.</summary>
internal sealed class UsageException(string message) : Exception(message)
{
    public UsageException() : this("usage error")
    {
    }

    public UsageException(string message, Exception inner) : this(message + ": " + inner.Message)
    {
    }
}
