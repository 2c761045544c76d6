using System.Globalization;
using RoomDevice.Audio.Devices;

namespace RoomDevice.Audio.Pipeline;

/// <summary>How the microphone channels become one capture signal.</summary>
public enum MicMix
{
    /// <summary>Average of every microphone channel.</summary>
    Mono,
    /// <summary>The first listed microphone only.</summary>
    First,
}

/// <summary>
/// Which capture channels are microphones and which one, if any, carries the hardware playback
/// loopback used as echo reference. Comes from the board profile.
/// </summary>
public sealed class ChannelMap
{
    private readonly int[] _mics;

    /// <summary>Creates a map; <paramref name="referenceChannel"/> is -1 for none.</summary>
    public ChannelMap(IReadOnlyList<int> micChannels, int referenceChannel = -1, MicMix mix = MicMix.Mono)
    {
        ArgumentNullException.ThrowIfNull(micChannels);
        if (micChannels.Count == 0)
        {
            throw new ArgumentException("channel map lists no microphone channel; accepted: one or more channel indices", nameof(micChannels));
        }
        foreach (int c in micChannels)
        {
            if (c < 0)
            {
                throw new ArgumentException($"channel map has microphone channel {c}; accepted: indices from 0", nameof(micChannels));
            }
            if (c == referenceChannel)
            {
                throw new ArgumentException($"channel {c} is both a microphone and the echo reference", nameof(micChannels));
            }
        }
        if (micChannels.Distinct().Count() != micChannels.Count)
        {
            throw new ArgumentException($"channel map lists a microphone channel twice ({string.Join(',', micChannels)})", nameof(micChannels));
        }
        if (referenceChannel < -1)
        {
            throw new ArgumentException($"reference channel {referenceChannel}; accepted: -1 (none) or a channel index", nameof(referenceChannel));
        }
        _mics = [.. micChannels];
        ReferenceChannel = referenceChannel;
        Mix = mix;
    }

    /// <summary>Every channel of a device with <paramref name="channels"/> channels is a microphone; no reference.</summary>
    public static ChannelMap AllMicrophones(int channels) => new([.. Enumerable.Range(0, channels)]);

    /// <summary>
    /// Parses "0,1,2,3" style microphone lists. Throws <see cref="FormatException"/> naming the text
    /// and what is accepted.
    /// </summary>
    public static ChannelMap Parse(string micChannels, int referenceChannel = -1, MicMix mix = MicMix.Mono)
    {
        ArgumentNullException.ThrowIfNull(micChannels);
        var list = new List<int>();
        foreach (string part in micChannels.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int c))
            {
                throw new FormatException($"microphone channels '{micChannels}': '{part}' is not a channel index; accepted: comma-separated indices such as 0,1,2,3");
            }
            list.Add(c);
        }
        return new ChannelMap(list, referenceChannel, mix);
    }

    /// <summary>Microphone channel indices.</summary>
    public IReadOnlyList<int> Microphones => _mics;

    /// <summary>Hardware loopback channel used as echo reference, or -1.</summary>
    public int ReferenceChannel { get; }

    /// <summary>True when a hardware loopback channel exists.</summary>
    public bool HasReference => ReferenceChannel >= 0;

    /// <summary>How microphones are combined.</summary>
    public MicMix Mix { get; }

    /// <summary>Highest channel index the map uses.</summary>
    public int HighestChannel => Math.Max(_mics.Max(), ReferenceChannel);

    internal ReadOnlySpan<int> MicSpan => _mics;

    /// <summary>Throws <see cref="AudioDeviceException"/> naming <paramref name="device"/> when the map does not fit its channels.</summary>
    public void EnsureFits(string device, int channels)
    {
        if (HighestChannel >= channels)
        {
            throw new AudioDeviceException(
                $"capture device '{device}' has {channels} channel(s) (0..{channels - 1}) but the channel map uses channel {HighestChannel} " +
                $"(microphones {string.Join(',', _mics)}, reference {ReferenceChannel}); accepted: channel indices 0 to {channels - 1}");
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"mics {string.Join(',', _mics)} ({Mix.ToString().ToLowerInvariant()}), reference {(HasReference ? ReferenceChannel.ToString(CultureInfo.InvariantCulture) : "none")}";
}
