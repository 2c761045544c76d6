using System.CommandLine;
using RoomDevice.Host.Cli;

namespace RoomDevice.Host.Calls;

/// <summary><c>roomdevice call</c>: one diagnostic call from the command line.</summary>
internal sealed class CallVerbs : ICliVerbs
{
    public IEnumerable<Command> Commands()
    {
        var uri = new Option<string>("--uri") { Description = "who to call: sip:user@host[:port][;transport=tcp]", Required = true };
        var duration = new Option<double?>("--duration") { Description = "seconds to stay in the call after answer, 1..3600 (default: the --play file plus 2 s, or 10 s)" };
        var play = new Option<string?>("--play") { Description = "WAV file to send (PCM 16-bit or float 32-bit, any rate and channel count; mixed to mono and resampled)" };
        var record = new Option<string?>("--record") { Description = "WAV file to write with what the far end sent (16 kHz mono)" };
        var dtmf = new Option<string?>("--dtmf") { Description = "DTMF digits to send after answer (0-9, *, #, A-D), e.g. 1234#" };
        var codec = new Option<string?>("--codec") { Description = "offer only this codec: opus, PCMU or PCMA (default: all, opus first)" };
        var command = new Command("call", "Place one call, optionally play and record audio and send DTMF; print the negotiated codec and RTP statistics")
        {
            uri, duration, play, record, dtmf, codec,
        };
        command.SetAction(async (parse, ct) =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output;
            TextWriter stderr = parse.InvocationConfiguration.Error;
            var request = new CallRunRequest(parse.GetRequiredValue(uri), parse.GetValue(duration), parse.GetValue(play), parse.GetValue(record),
                parse.GetValue(dtmf), parse.GetValue(codec));
            try
            {
                return await CallRun.RunAsync(request, stdout, ct).ConfigureAwait(false);
            }
            catch (CallRunException e)
            {
                await stderr.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
                return ExitCodes.Usage;
            }
            catch (DllNotFoundException e)
            {
                await stderr.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        });
        yield return command;
    }
}
