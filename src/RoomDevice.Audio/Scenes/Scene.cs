namespace RoomDevice.Audio.Scenes;

/// <summary>What a scene stresses (see the audio metrics page).</summary>
public enum SceneKind
{
    /// <summary>Only the far end talks.</summary>
    FarEndSingleTalk,

    /// <summary>Both talk at once for a while, then the local talker alone.</summary>
    DoubleTalk,

    /// <summary>The loudspeaker moves mid-scene.</summary>
    EchoPathChange,

    /// <summary>An unknown extra delay between reference and echo.</summary>
    BulkDelay,

    /// <summary>Loudspeaker and microphone clocks differ.</summary>
    ClockDrift,

    /// <summary>The loudspeaker soft-clips (nonlinear echo).</summary>
    SoftClipping,

    /// <summary>Background noise at 15 dB SNR, with double talk.</summary>
    NoiseDoubleTalk,

    /// <summary>Echo 10 dB louder than the local talker, with double talk.</summary>
    LoudEcho,
}

/// <summary>Parameters of one generated scene.</summary>
public sealed record SceneSpec(SceneKind Kind, int Seed, float Rt60 = 0.4f, float DurationSeconds = 20f,
    int ExtraDelayMs = 0, double DriftPpm = 0, int SampleRate = 16000)
{
    /// <summary>Short stable name, e.g. "far-rt0.4-s1".</summary>
    public string Name => Kind switch
    {
        SceneKind.FarEndSingleTalk => FormattableString.Invariant($"far-rt{Rt60:0.0}-s{Seed}"),
        SceneKind.BulkDelay => FormattableString.Invariant($"delay{ExtraDelayMs}-s{Seed}"),
        SceneKind.ClockDrift => FormattableString.Invariant($"drift{DriftPpm:0}-s{Seed}"),
        _ => FormattableString.Invariant($"{KindLabel(Kind)}-s{Seed}"),
    };

    /// <summary>Group label for tables (kind plus its variant).</summary>
    public string Group => Kind switch
    {
        SceneKind.FarEndSingleTalk => FormattableString.Invariant($"far-end single talk RT60 {Rt60:0.0}"),
        SceneKind.BulkDelay => FormattableString.Invariant($"bulk delay +{ExtraDelayMs} ms"),
        SceneKind.ClockDrift => FormattableString.Invariant($"clock drift +{DriftPpm:0} ppm"),
        SceneKind.DoubleTalk => "double talk",
        SceneKind.EchoPathChange => "echo path change",
        SceneKind.SoftClipping => "loudspeaker soft clipping",
        SceneKind.NoiseDoubleTalk => "noise 15 dB SNR, double talk",
        SceneKind.LoudEcho => "echo 10 dB over the talker",
        _ => Kind.ToString(),
    };

    private static string KindLabel(SceneKind k) => k switch
    {
        SceneKind.DoubleTalk => "doubletalk",
        SceneKind.EchoPathChange => "pathchange",
        SceneKind.SoftClipping => "clipping",
        SceneKind.NoiseDoubleTalk => "noise",
        SceneKind.LoudEcho => "loudecho",
        _ => k.ToString().ToLowerInvariant(),
    };
}

/// <summary>
/// One scene: four signals of equal length with <c>Mic = Echo + NearEnd + Noise</c>, the reference the
/// loudspeaker was told to play, and when each talker is active (sample ranges, end exclusive).
/// </summary>
public sealed class Scene
{
    /// <summary>Creates a scene; all signals must have the same length.</summary>
    public Scene(SceneSpec spec, float[] mic, float[] reference, float[] nearEnd, float[] echo,
        IReadOnlyList<(int Start, int End)> farActive, IReadOnlyList<(int Start, int End)> nearActive, int pathChangeAt)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(mic);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(nearEnd);
        ArgumentNullException.ThrowIfNull(echo);
        if (reference.Length != mic.Length || nearEnd.Length != mic.Length || echo.Length != mic.Length)
        {
            throw new ArgumentException("Scene signals must all have the same length.");
        }

        Spec = spec;
        Mic = mic;
        Reference = reference;
        NearEnd = nearEnd;
        Echo = echo;
        FarActive = farActive;
        NearActive = nearActive;
        PathChangeAt = pathChangeAt;
    }

    /// <summary>How the scene was made.</summary>
    public SceneSpec Spec { get; }

    /// <summary>Sample rate in Hz.</summary>
    public int SampleRate => Spec.SampleRate;

    /// <summary>What the microphone hears.</summary>
    public float[] Mic { get; }

    /// <summary>What the loudspeaker was told to play.</summary>
    public float[] Reference { get; }

    /// <summary>The clean local talker as it arrives at the microphone.</summary>
    public float[] NearEnd { get; }

    /// <summary>The loudspeaker's sound as it arrives at the microphone.</summary>
    public float[] Echo { get; }

    /// <summary>Sample ranges where the far end talks.</summary>
    public IReadOnlyList<(int Start, int End)> FarActive { get; }

    /// <summary>Sample ranges where the local talker talks.</summary>
    public IReadOnlyList<(int Start, int End)> NearActive { get; }

    /// <summary>Sample at which the echo path changes, or -1.</summary>
    public int PathChangeAt { get; }

    /// <summary>True when sample <paramref name="n"/> lies in one of <paramref name="ranges"/>.</summary>
    public static bool InRanges(IReadOnlyList<(int Start, int End)> ranges, int n)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        foreach (var (s, e) in ranges)
        {
            if (n >= s && n < e)
            {
                return true;
            }
        }

        return false;
    }
}
