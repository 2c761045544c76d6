using RoomDevice.Audio.Speech;

namespace RoomDevice.Calls.Tests;

/// <summary>Speech made once per run by espeak-ng and sox (cached on disk).</summary>
public sealed class SpeechFixture
{
    private const string Text =
        "Good morning everyone. Let us start the weekly planning meeting in the small room. " +
        "Please check that the microphone picks up your voice, and speak clearly when you join the call.";

    public SpeechFixture()
    {
        var material = new SpeechMaterial(SpeechMaterial.DefaultCacheDirectory());
        Speech16k = material.Speak(Text, "en-us", 16000);
        Speech48k = material.Speak(Text, "en-us", 48000);
    }

    public float[] Speech16k { get; }

    public float[] Speech48k { get; }
}

[CollectionDefinition("speech")]
public sealed class SpeechCollection : ICollectionFixture<SpeechFixture>;
