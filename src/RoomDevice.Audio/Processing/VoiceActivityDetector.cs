namespace RoomDevice.Audio.Processing;

/// <summary>
/// Local-speech detector on the cleaned capture signal: speech-band power well above the tracked
/// noise floor and not explained by residual echo, with a hangover so word gaps stay active.
/// Drives DTX (<see cref="Active"/>) and the muted-but-talking hint.
/// </summary>
public sealed class VoiceActivityDetector(int blocksPerSecond)
{
    private int _hang;
    private int _run;
    private readonly int _hangover = Math.Max(1, blocksPerSecond * 3 / 10);

    /// <summary>Speech-to-noise ratio (linear) above which a block counts as speech.</summary>
    public float Threshold { get; set; } = 6f;

    /// <summary>True while local speech is present (including hangover).</summary>
    public bool Active { get; private set; }

    /// <summary>Consecutive blocks of detected speech (no hangover).</summary>
    public int SpeechRun => _run;

    /// <summary>Updates with one block's figures from the suppressor.</summary>
    public bool Update(float speechToNoise, float echoShare)
    {
        bool speech = speechToNoise > Threshold && echoShare < 0.3f;
        if (speech)
        {
            _run++;
            _hang = _hangover;
        }
        else
        {
            _run = 0;
            if (_hang > 0)
            {
                _hang--;
            }
        }

        Active = speech || _hang > 0;
        return Active;
    }
}
