using RoomDevice.Calls.Calendar;
using RoomDevice.Core.Options;

namespace RoomDevice.Calls.Tests.Room;

public sealed class CalendarTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static CalendarOptions Calendar() => new()
    {
        Meetings =
        [
            new CalendarEntry { Title = "Standup", Start = "2026-12-01T09:00:00Z", End = "2026-12-01T09:15:00Z", SipUri = "sip:standup@meet.example.com", Pin = "1234#" },
            new CalendarEntry { Title = "Review", Start = "2026-12-01T09:15:00Z", End = "2026-12-01T10:00:00Z", SipUri = "sip:review@meet.example.com" },
        ],
    };

    [Fact]
    public void Join_dials_the_running_meeting_then_the_next_within_five_minutes_then_the_default()
    {
        var targets = new CalendarJoinTargets(Calendar().ToMeetings(), "sip:echo@local");
        Assert.Equal("sip:standup@meet.example.com", targets.Current(T0.AddMinutes(-5))!.Value.Target);
        Assert.Equal("sip:echo@local", targets.Current(T0.AddMinutes(-6))!.Value.Target);
        Assert.Null(targets.Current(T0.AddMinutes(-6))!.Value.Meeting);
        var early = targets.Current(T0.AddMinutes(12))!.Value;
        Assert.Equal("Standup", early.Meeting!.Title); // the running meeting wins over the one starting in 3 minutes
        Assert.Equal("1234#", early.Meeting.Pin);
        Assert.Equal("Review", targets.Current(T0.AddMinutes(15))!.Value.Meeting!.Title);
        Assert.Equal("sip:echo@local", targets.Current(T0.AddHours(2))!.Value.Target);
        Assert.Null(new CalendarJoinTargets([], null).Current(T0));
    }

    [Fact]
    public void Bad_calendar_entries_name_key_value_and_what_is_accepted()
    {
        var c = new CalendarOptions
        {
            Meetings =
            [
                new CalendarEntry { Start = "tomorrow", End = "2026-12-01T09:15:00Z", SipUri = "http://x", Pin = "12x" },
                new CalendarEntry { Start = "2026-12-01T10:00:00Z", End = "2026-12-01T09:00:00Z", SipUri = "sip:a@b" },
            ],
        };
        var v = new OptionsValidator("Calendar", _ => "calendar.json");
        c.Validate(v);
        Assert.Contains(v.Issues, i => i.Key == "Calendar:Meetings:0:Start" && i.Value == "tomorrow" && i.Accepted.Contains("ISO-8601", StringComparison.Ordinal));
        Assert.Contains(v.Issues, i => i.Key == "Calendar:Meetings:0:SipUri" && i.Problem.Contains("scheme", StringComparison.Ordinal));
        Assert.Contains(v.Issues, i => i.Key == "Calendar:Meetings:0:Pin");
        Assert.Contains(v.Issues, i => i.Key == "Calendar:Meetings:1:End" && i.Problem.Contains("before", StringComparison.Ordinal));
        Assert.DoesNotContain(c.ToMeetings(), m => m.SipUri == "http://x");
    }

    [Fact]
    public void Bad_call_options_are_reported()
    {
        var o = new CallsOptions { LocalAddress = "nowhere", SipPort = 70000, Codecs = ["opus", "G729"], PtimeMs = 25, DefaultUri = "tel:123", JitterQuantile = 2 };
        var v = new OptionsValidator("Calls", _ => "device.json");
        o.Validate(v);
        foreach (string key in (string[])["LocalAddress", "SipPort", "Codecs", "PtimeMs", "DefaultUri", "JitterQuantile"])
        {
            Assert.Contains(v.Issues, i => i.Key == "Calls:" + key);
        }
        var ok = new OptionsValidator("Calls", _ => "default");
        new CallsOptions().Validate(ok);
        Assert.Empty(ok.Issues);
    }
}
