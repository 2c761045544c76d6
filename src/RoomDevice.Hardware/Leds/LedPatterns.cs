using RoomDevice.Core.Room;

namespace RoomDevice.Hardware.Leds;

/// <summary>What the LEDs are showing.</summary>
public enum LedPattern
{
    /// <summary>All off (no LEDs, or stopped).</summary>
    Off,
    /// <summary>Idle: slow blue breathing.</summary>
    Idle,
    /// <summary>Idle and muted: slow red breathing.</summary>
    IdleMuted,
    /// <summary>Dialling: green spinner.</summary>
    Joining,
    /// <summary>In a call: solid green.</summary>
    InCall,
    /// <summary>In a call, muted: solid red.</summary>
    Muted,
    /// <summary>Hanging up: amber spinner turning back.</summary>
    Leaving,
    /// <summary>Privacy mode: every other LED red.</summary>
    Privacy,
    /// <summary>Volume changed: a blue bar as long as the volume.</summary>
    Volume,
    /// <summary>A button was just pressed: the ring lights dim white for a moment.</summary>
    Acknowledge,
    /// <summary>Something failed (nothing to dial, call failed): red blinking.</summary>
    Error,
    /// <summary>Identify: white flashing.</summary>
    Identify,
}

/// <summary>The room and the transient overlays at one instant.</summary>
public readonly record struct LedScene(CallPhase Phase, bool Muted, bool Privacy, int Volume, bool Identify, bool Error, bool ShowVolume, bool Acknowledge = false)
{
    /// <summary>The pattern this scene shows; overlays win over the room (identify, error, acknowledge, volume).</summary>
    public LedPattern Pattern =>
        Identify ? LedPattern.Identify
        : Error ? LedPattern.Error
        : Acknowledge ? LedPattern.Acknowledge
        : ShowVolume ? LedPattern.Volume
        : Privacy ? LedPattern.Privacy
        : Phase switch
        {
            CallPhase.Joining => LedPattern.Joining,
            CallPhase.Leaving => LedPattern.Leaving,
            CallPhase.InCall => Muted ? LedPattern.Muted : LedPattern.InCall,
            _ => Muted ? LedPattern.IdleMuted : LedPattern.Idle,
        };
}

/// <summary>Draws each pattern as a function of time. Pure; no allocation.</summary>
public static class LedPatterns
{
    /// <summary>Idle breathing colour.</summary>
    public static readonly Rgb IdleColour = new(0, 90, 255);
    /// <summary>In-call and joining colour.</summary>
    public static readonly Rgb CallColour = new(0, 220, 0);
    /// <summary>Muted, privacy and error colour.</summary>
    public static readonly Rgb MutedColour = new(255, 0, 0);
    /// <summary>Leaving colour.</summary>
    public static readonly Rgb LeavingColour = new(255, 120, 0);
    /// <summary>Volume bar colour.</summary>
    public static readonly Rgb VolumeColour = new(0, 0, 255);
    /// <summary>Press acknowledgement colour.</summary>
    public static readonly Rgb AcknowledgeColour = new(90, 90, 90);
    /// <summary>Identify flash colour.</summary>
    public static readonly Rgb IdentifyColour = new(255, 255, 255);

    /// <summary>One breath of the idle pattern.</summary>
    public static readonly TimeSpan BreathPeriod = TimeSpan.FromSeconds(4);
    /// <summary>One turn of the spinners.</summary>
    public static readonly TimeSpan SpinPeriod = TimeSpan.FromSeconds(1);
    /// <summary>One on+off of the error blink.</summary>
    public static readonly TimeSpan ErrorBlinkPeriod = TimeSpan.FromMilliseconds(500);
    /// <summary>One on+off of the identify flash.</summary>
    public static readonly TimeSpan IdentifyFlashPeriod = TimeSpan.FromMilliseconds(250);

    /// <summary>Dimmest and brightest level of a breath.</summary>
    public const double BreathMin = 0.08, BreathMax = 0.6;

    private static readonly double[] Tail = [1.0, 0.45, 0.2, 0.08];

    /// <summary>Fills <paramref name="frame"/> with <paramref name="scene"/> at time <paramref name="t"/>.</summary>
    public static void Render(LedScene scene, TimeSpan t, Span<Rgb> frame)
    {
        switch (scene.Pattern)
        {
            case LedPattern.Identify:
                Fill(frame, Blink(t, IdentifyFlashPeriod) ? IdentifyColour : Rgb.Black);
                break;
            case LedPattern.Error:
                Fill(frame, Blink(t, ErrorBlinkPeriod) ? MutedColour : Rgb.Black);
                break;
            case LedPattern.Acknowledge:
                Fill(frame, AcknowledgeColour);
                break;
            case LedPattern.Volume:
                int lit = (int)Math.Round(scene.Volume / 100.0 * frame.Length);
                for (int i = 0; i < frame.Length; i++)
                {
                    frame[i] = i < lit ? VolumeColour : Rgb.Black;
                }
                break;
            case LedPattern.Privacy:
                for (int i = 0; i < frame.Length; i++)
                {
                    frame[i] = i % 2 == 0 ? MutedColour : Rgb.Black;
                }
                break;
            case LedPattern.Joining:
                Spin(frame, t, CallColour, forward: true);
                break;
            case LedPattern.Leaving:
                Spin(frame, t, LeavingColour, forward: false);
                break;
            case LedPattern.InCall:
                Fill(frame, CallColour);
                break;
            case LedPattern.Muted:
                Fill(frame, MutedColour);
                break;
            case LedPattern.IdleMuted:
                Fill(frame, MutedColour.Scale(Breath(t)));
                break;
            case LedPattern.Idle:
                Fill(frame, IdleColour.Scale(Breath(t)));
                break;
            default:
                frame.Clear();
                break;
        }
    }

    /// <summary>Level of the breathing patterns at <paramref name="t"/>: a raised cosine between <see cref="BreathMin"/> and <see cref="BreathMax"/>.</summary>
    public static double Breath(TimeSpan t)
    {
        double phase = (t.Ticks % BreathPeriod.Ticks) / (double)BreathPeriod.Ticks;
        return BreathMin + ((BreathMax - BreathMin) * (0.5 - (0.5 * Math.Cos(2 * Math.PI * phase))));
    }

    /// <summary>Position of the spinner head at <paramref name="t"/> on a ring of <paramref name="count"/>.</summary>
    public static int SpinnerHead(TimeSpan t, int count, bool forward = true)
    {
        int step = (int)((t.Ticks % SpinPeriod.Ticks) * count / SpinPeriod.Ticks);
        return forward ? step : (count - 1 - step + count) % count;
    }

    private static bool Blink(TimeSpan t, TimeSpan period) => t.Ticks % period.Ticks < period.Ticks / 2;

    private static void Fill(Span<Rgb> frame, Rgb c) => frame.Fill(c);

    private static void Spin(Span<Rgb> frame, TimeSpan t, Rgb c, bool forward)
    {
        frame.Clear();
        int n = frame.Length;
        if (n == 0)
        {
            return;
        }
        int head = SpinnerHead(t, n, forward);
        for (int k = 0; k < Tail.Length && k < n; k++)
        {
            int i = forward ? ((head - k) % n + n) % n : (head + k) % n;
            frame[i] = c.Scale(Tail[k]);
        }
    }
}
