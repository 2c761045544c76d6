using RoomDevice.Audio.Frames;
using RoomDevice.Core.Room;

namespace RoomDevice.Audio.Simulation;

/// <summary>
/// A far-end talker for <c>run --simulate</c> and tests: loops a speech signal (at the processing
/// rate) into the loudspeaker mix. With a room it talks only while the room is not in a call,
/// because in a call the real far end arrives through the call's downlink.
/// </summary>
public sealed class FarEndTalker : IFrameSource
{
    private readonly float[] _signal;
    private readonly float _gain;
    private readonly RoomStateMachine? _room;
    private int _pos;

    /// <summary>Creates the talker over <paramref name="signal"/> (looped).</summary>
    public FarEndTalker(float[] signal, float gain = 1f, RoomStateMachine? room = null)
    {
        ArgumentNullException.ThrowIfNull(signal);
        if (signal.Length == 0)
        {
            throw new ArgumentException("far-end talker signal is empty", nameof(signal));
        }
        _signal = signal;
        _gain = gain;
        _room = room;
    }

    /// <summary>Samples played so far.</summary>
    public long Played { get; private set; }

    /// <summary>True when the talker is heard now.</summary>
    public bool Talking => _room is null || _room.State.Phase != CallPhase.InCall;

    /// <inheritdoc />
    public void MixInto(Span<float> frame)
    {
        if (!Talking)
        {
            return;
        }
        for (int i = 0; i < frame.Length; i++)
        {
            frame[i] += _signal[_pos] * _gain;
            _pos = (_pos + 1) % _signal.Length;
        }
        Played += frame.Length;
    }
}
