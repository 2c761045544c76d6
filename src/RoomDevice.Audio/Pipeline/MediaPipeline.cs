using System.Numerics.Tensors;
using RoomDevice.Audio.Dsp;
using RoomDevice.Audio.Frames;
using RoomDevice.Core.Room;

namespace RoomDevice.Audio.Pipeline;

/// <summary>Shape of the engine: device and processing rates, channels, channel map, ring sizes.</summary>
/// <param name="DeviceRate">Rate of the capture and playback devices.</param>
/// <param name="ProcessingRate">Rate of the voice front end and the call bridge.</param>
/// <param name="CaptureChannels">Interleaved channels from the capture device.</param>
/// <param name="PlaybackChannels">Interleaved channels to the playback device (1 or 2).</param>
/// <param name="Map">Which capture channels are microphones and reference.</param>
/// <param name="RingFrames">10 ms frames each device ring holds.</param>
/// <param name="PlaybackPrimeFrames">Silent frames queued before playback starts.</param>
public sealed record AudioEngineSettings(
    int DeviceRate, int ProcessingRate, int CaptureChannels, int PlaybackChannels, ChannelMap Map,
    int RingFrames = 16, int PlaybackPrimeFrames = 2)
{
    /// <summary>Format of capture frames.</summary>
    public AudioFormat CaptureFormat => new(DeviceRate, CaptureChannels);

    /// <summary>Format of playback frames.</summary>
    public AudioFormat PlaybackFormat => new(DeviceRate, PlaybackChannels);
}

/// <summary>
/// One 10 ms tick of the media path, run by the media thread (or directly by tests as fast as
/// they like). Capture: device frame -> channel map -> mono mix -> resample to the processing
/// rate -> <see cref="ICaptureProcessor"/> -> mute -> <see cref="CallAudioBridge.Uplink"/>.
/// Playback: <see cref="CallAudioBridge.Downlink"/> (silence on underrun) -> local tones ->
/// volume -> echo reference (<see cref="ICaptureProcessor.AnalyzeRender"/>) -> resample to the
/// device rate -> playback ring. All buffers are made here; <see cref="Step"/> allocates nothing.
/// </summary>
public sealed class MediaPipeline : IDisposable
{
    private readonly AudioEngineSettings _settings;
    private readonly CallAudioBridge _bridge;
    private readonly ICaptureProcessor _processor;
    private readonly RoomStateMachine? _room;
    private readonly PolyphaseResampler _micDown, _refDown, _speakerUp;
    private readonly AudioFrame _captureFrame, _playbackFrame;
    private readonly float[] _micDevice, _channelScratch, _refDevice, _mic, _ref, _out, _render, _renderDevice;
    private readonly VolumeControl _volume = new();
    private IFrameSource[] _renderSources = [];
    private readonly Lock _sourcesGate = new();
    private long _ticks, _captureMissing, _uplinkDropped;
    private int _voiceActive;
    private bool _muted;

    /// <summary>Creates the pipeline and its two device rings.</summary>
    public MediaPipeline(AudioEngineSettings settings, CallAudioBridge bridge, ICaptureProcessor? processor = null, RoomStateMachine? room = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(bridge);
        settings.CaptureFormat.EnsureValid("capture");
        settings.PlaybackFormat.EnsureValid("playback");
        if (settings.PlaybackChannels is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.PlaybackChannels, "playback channels; accepted: 1 or 2");
        }
        if (bridge.SampleRate != settings.ProcessingRate)
        {
            throw new ArgumentException($"call bridge runs at {bridge.SampleRate} Hz but the processing rate is {settings.ProcessingRate} Hz; they must match", nameof(bridge));
        }
        processor ??= new PassthroughCaptureProcessor(settings.ProcessingRate);
        if (processor.SampleRate != settings.ProcessingRate || processor.FrameSize != settings.ProcessingRate / 100)
        {
            throw new ArgumentException(
                $"capture processor runs at {processor.SampleRate} Hz ({processor.FrameSize}-sample frames) but the processing rate is {settings.ProcessingRate} Hz", nameof(processor));
        }
        settings.Map.EnsureFits("capture", settings.CaptureChannels);
        _settings = settings;
        _bridge = bridge;
        _processor = processor;
        _room = room;

        int devN = settings.DeviceRate / 100, procN = settings.ProcessingRate / 100;
        CaptureRing = new FrameRing(devN * settings.CaptureChannels, settings.RingFrames);
        PlaybackRing = new FrameRing(devN * settings.PlaybackChannels, settings.RingFrames);
        _captureFrame = new AudioFrame(settings.CaptureFormat);
        _playbackFrame = new AudioFrame(settings.PlaybackFormat);
        _micDevice = new float[devN];
        _channelScratch = new float[devN];
        _refDevice = new float[devN];
        _renderDevice = new float[devN];
        _mic = new float[procN];
        _ref = new float[procN];
        _out = new float[procN];
        _render = new float[procN];
        _micDown = new PolyphaseResampler(settings.DeviceRate, settings.ProcessingRate, devN);
        _refDown = new PolyphaseResampler(settings.DeviceRate, settings.ProcessingRate, devN);
        _speakerUp = new PolyphaseResampler(settings.ProcessingRate, settings.DeviceRate, procN);
        Tones = new ToneGenerator(settings.ProcessingRate);
        if (room is not null)
        {
            room.Changed += OnRoomChanged;
            ApplyRoom(room.State);
        }
    }

    /// <summary>The engine's shape.</summary>
    public AudioEngineSettings Settings => _settings;

    /// <summary>Capture device to media thread (interleaved device frames).</summary>
    public FrameRing CaptureRing { get; }

    /// <summary>Media thread to playback device (interleaved device frames).</summary>
    public FrameRing PlaybackRing { get; }

    /// <summary>Local tones mixed into the loudspeaker.</summary>
    public ToneGenerator Tones { get; }

    /// <summary>The voice front end in use.</summary>
    public ICaptureProcessor Processor => _processor;

    /// <summary>Microphone level after the channel map, before processing.</summary>
    public LevelMeter MicLevel { get; } = new();

    /// <summary>Level sent to the call (after processing and mute).</summary>
    public LevelMeter UplinkLevel { get; } = new();

    /// <summary>Level sent to the loudspeaker (after tones and volume).</summary>
    public LevelMeter SpeakerLevel { get; } = new();

    /// <summary>Ticks run.</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>Ticks that found no capture frame and processed silence instead.</summary>
    public long CaptureMissing => Interlocked.Read(ref _captureMissing);

    /// <summary>Uplink frames dropped because nobody read the uplink (no call, or a slow call).</summary>
    public long UplinkDropped => Interlocked.Read(ref _uplinkDropped);

    /// <summary>True when the last capture frame held local speech.</summary>
    public bool VoiceActive => Volatile.Read(ref _voiceActive) != 0;

    /// <summary>Timestamp (device samples) of the last capture frame.</summary>
    public long CaptureTimestamp => _captureFrame.Timestamp;

    /// <summary>Mute as last applied (from the room, or <see cref="SetMuted"/> without a room).</summary>
    public bool Muted => Volatile.Read(ref _muted);

    /// <summary>Sets mute when no room state machine drives the pipeline.</summary>
    public void SetMuted(bool muted) => Volatile.Write(ref _muted, muted);

    /// <summary>Sets the volume (0..100) when no room state machine drives the pipeline.</summary>
    public void SetVolume(int volume) => _volume.SetVolume(volume);

    /// <summary>
    /// Adds a local source mixed into the loudspeaker with the far end, before volume and the echo
    /// reference (e.g. the simulated far-end talker of <c>run --simulate</c>). Its frames are at the
    /// processing rate.
    /// </summary>
    public void AddRenderSource(IFrameSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        lock (_sourcesGate)
        {
            Volatile.Write(ref _renderSources, [.. _renderSources, source]);
        }
    }

    /// <summary>Queues <paramref name="frames"/> silent frames for playback (latency margin).</summary>
    public void PrimePlayback(int frames)
    {
        _playbackFrame.Clear();
        for (int i = 0; i < frames; i++)
        {
            PlaybackRing.TryWrite(_playbackFrame.Samples);
        }
    }

    /// <summary>Runs one 10 ms tick; false when no capture frame was waiting (silence was used).</summary>
    public bool Step()
    {
        if (_room is not null)
        {
            ApplyRoom(_room.State);
        }

        // Capture leg, part 1: device frame -> mono at the processing rate.
        bool captured = CaptureRing.TryRead(_captureFrame.Samples);
        if (!captured)
        {
            _captureFrame.Clear();
            Interlocked.Increment(ref _captureMissing);
        }
        MixMicrophones();
        _micDown.Process(_micDevice, _mic);
        MicLevel.Measure(_mic);

        // Playback leg: far end + tones -> volume -> echo reference -> device. A tick without a
        // capture frame (capture stalled) only feeds a loudspeaker that is running dry: the
        // stalled frames arrive later and would otherwise each add a frame of latency.
        if (captured || PlaybackRing.Count < Math.Max(1, _settings.PlaybackPrimeFrames))
        {
            RenderTick();
        }

        // Capture leg, part 2: voice front end -> mute -> call.
        _processor.ProcessCapture(_mic, _out);
        Volatile.Write(ref _voiceActive, _processor.VoiceActive ? 1 : 0);
        if (Muted)
        {
            Array.Clear(_out);
        }
        UplinkLevel.Measure(_out);
        if (!_bridge.Uplink.TryWrite(_out))
        {
            Interlocked.Increment(ref _uplinkDropped);
        }

        _captureFrame.Timestamp += _settings.DeviceRate / 100;
        Interlocked.Increment(ref _ticks);
        return captured;
    }

    private void RenderTick()
    {
        if (!_bridge.Downlink.TryRead(_render))
        {
            Array.Clear(_render);
        }
        IFrameSource[] sources = Volatile.Read(ref _renderSources);
        for (int i = 0; i < sources.Length; i++)
        {
            sources[i].MixInto(_render);
        }
        Tones.MixInto(_render);
        _volume.Process(_render);
        TensorPrimitives.Clamp(_render, -1f, 1f, _render);
        SpeakerLevel.Measure(_render);
        if (_settings.Map.HasReference)
        {
            // The hardware loopback hears what the amplifier really played: the better reference.
            _captureFrame.ReadChannel(_settings.Map.ReferenceChannel, _refDevice);
            _refDown.Process(_refDevice, _ref);
            _processor.AnalyzeRender(_ref);
        }
        else
        {
            _processor.AnalyzeRender(_render);
        }
        _speakerUp.Process(_render, _renderDevice);
        Interleaving.Spread(_renderDevice, _playbackFrame.Samples, _settings.PlaybackChannels);
        _playbackFrame.Timestamp = _captureFrame.Timestamp;
        PlaybackRing.TryWrite(_playbackFrame.Samples);
    }

    private void MixMicrophones()
    {
        ReadOnlySpan<int> mics = _settings.Map.MicSpan;
        _captureFrame.ReadChannel(mics[0], _micDevice);
        if (_settings.Map.Mix == MicMix.First || mics.Length == 1)
        {
            return;
        }
        for (int m = 1; m < mics.Length; m++)
        {
            _captureFrame.ReadChannel(mics[m], _channelScratch);
            TensorPrimitives.Add(_micDevice, _channelScratch, _micDevice);
        }
        TensorPrimitives.Multiply(_micDevice, 1f / mics.Length, _micDevice);
    }

    private void ApplyRoom(RoomSnapshot s)
    {
        Volatile.Write(ref _muted, s.Muted || s.Privacy);
        _volume.SetVolume(s.Volume);
    }

    private void OnRoomChanged(object? sender, RoomStateChangedEventArgs e)
    {
        RoomSnapshot before = e.Previous, after = e.Current;
        if (before.Phase != CallPhase.InCall && after.Phase == CallPhase.InCall)
        {
            Tones.Request(LocalTone.Joined);
        }
        else if (before.Phase == CallPhase.InCall && after.Phase != CallPhase.InCall)
        {
            Tones.Request(LocalTone.Left);
        }
        else if (!before.Muted && after.Muted)
        {
            Tones.Request(LocalTone.Muted);
        }
        else if (before.Muted && !after.Muted)
        {
            Tones.Request(LocalTone.Unmuted);
        }
    }

    /// <summary>Detaches from the room state machine.</summary>
    public void Dispose()
    {
        if (_room is not null)
        {
            _room.Changed -= OnRoomChanged;
        }
    }
}
