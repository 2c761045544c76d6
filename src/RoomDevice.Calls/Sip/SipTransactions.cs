namespace RoomDevice.Calls.Sip;

/// <summary>RFC 3261 timer base values.</summary>
public sealed record SipTimers
{
    /// <summary>Round-trip estimate; retransmissions start here and double.</summary>
    public TimeSpan T1 { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest retransmission interval of non-INVITE requests and INVITE responses.</summary>
    public TimeSpan T2 { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Longest time a message stays in the network.</summary>
    public TimeSpan T4 { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Timers B, F, H, J: 64·T1.</summary>
    public TimeSpan TransactionTimeout => T1 * 64;
}

/// <summary>States of a client or server transaction (RFC 3261 §17).</summary>
internal enum TransactionState
{
    Calling,
    Trying,
    Proceeding,
    Completed,
    Confirmed,
    Terminated,
}

/// <summary>A request we sent and the timers that resend it until a response comes.</summary>
internal sealed class ClientTransaction
{
    public required string Key { get; init; }
    public required SipMessage Request { get; init; }
    public required byte[] Bytes { get; init; }
    public required SipRemote Remote { get; init; }
    public TransactionState State { get; set; }
    public ITimer? Retransmit { get; set; }
    public ITimer? Timeout { get; set; }
    public ITimer? Cleanup { get; set; }
    public TimeSpan Interval { get; set; }
    public byte[]? AckBytes { get; set; }
    public int Retransmissions { get; set; }
    public required Action<SipMessage> OnResponse { get; init; }
    public required Action OnTimeout { get; init; }

    public bool IsInvite => Request.Method == "INVITE";

    public void StopTimers()
    {
        Retransmit?.Dispose();
        Timeout?.Dispose();
        Cleanup?.Dispose();
        Retransmit = Timeout = Cleanup = null;
    }
}

/// <summary>A request we received: the last response, resent when the request is retransmitted.</summary>
internal sealed class ServerTransaction
{
    public required string Key { get; init; }
    public required SipMessage Request { get; init; }
    public required SipRemote Remote { get; init; }
    public TransactionState State { get; set; } = TransactionState.Trying;
    public byte[]? LastResponse { get; set; }
    public int LastStatus { get; set; }
    public ITimer? Retransmit { get; set; }
    public ITimer? Timeout { get; set; }
    public ITimer? Cleanup { get; set; }
    public TimeSpan Interval { get; set; }
    public SipCall? Call { get; set; }

    public void StopTimers()
    {
        Retransmit?.Dispose();
        Timeout?.Dispose();
        Cleanup?.Dispose();
        Retransmit = Timeout = Cleanup = null;
    }
}
