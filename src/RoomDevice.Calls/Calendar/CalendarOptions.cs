using System.Globalization;
using RoomDevice.Calls.Sip;
using RoomDevice.Core.Options;
using RoomDevice.Core.Room;

namespace RoomDevice.Calls.Calendar;

/// <summary>One meeting of the room calendar as configuration writes it.</summary>
public sealed class CalendarEntry
{
    /// <summary>Title shown and reported.</summary>
    public string Title { get; set; } = "";

    /// <summary>Start, ISO-8601 with offset (e.g. 2026-12-01T09:00:00+01:00).</summary>
    public string Start { get; set; } = "";

    /// <summary>End, ISO-8601 with offset.</summary>
    public string End { get; set; } = "";

    /// <summary>SIP URI of the meeting (a conferencing gateway).</summary>
    public string SipUri { get; set; } = "";

    /// <summary>Meeting PIN sent as DTMF after the far end answers (digits, *, #); empty for none.</summary>
    public string Pin { get; set; } = "";
}

/// <summary>The room calendar (section "Calendar"), pushed by the fleet with the rest of the configuration.</summary>
[ConfigSection("Calendar")]
public sealed class CalendarOptions : IDeviceOptions
{
    /// <summary>Scheduled meetings.</summary>
    public List<CalendarEntry> Meetings { get; set; } = [];

    /// <inheritdoc />
    public void Validate(OptionsValidator v)
    {
        ArgumentNullException.ThrowIfNull(v);
        for (int i = 0; i < Meetings.Count; i++)
        {
            var m = Meetings[i];
            string k = string.Create(CultureInfo.InvariantCulture, $"Meetings:{i}:");
            bool startOk = TryTime(m.Start, out var start);
            bool endOk = TryTime(m.End, out var end);
            v.Check(startOk, k + "Start", m.Start, "an ISO-8601 time with offset, e.g. 2026-12-01T09:00:00+01:00", "not a time");
            v.Check(endOk, k + "End", m.End, "an ISO-8601 time with offset, e.g. 2026-12-01T10:00:00+01:00", "not a time");
            v.Check(!startOk || !endOk || end > start, k + "End", m.End, "a time after Start " + m.Start, "ends before it starts");
            v.Check(SipUri.TryParse(m.SipUri, out _, out string err), k + "SipUri", m.SipUri, "a SIP URI such as sip:12345@meet.example.com", err);
            v.Check(m.Pin.All(c => char.IsAsciiDigit(c) || c is '*' or '#'), k + "Pin", m.Pin, "digits, * and #", "not a DTMF PIN");
            v.Check(m.Title.Length <= 200, k + "Title", m.Title, "up to 200 characters", "too long");
        }
    }

    private static bool TryTime(string text, out DateTimeOffset t) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out t);

    /// <summary>The valid meetings as the room's <see cref="Meeting"/> model, earliest first.</summary>
    public IReadOnlyList<Meeting> ToMeetings()
    {
        var list = new List<Meeting>();
        foreach (var m in Meetings)
        {
            if (TryTime(m.Start, out var s) && TryTime(m.End, out var e) && e > s && SipUri.TryParse(m.SipUri, out _, out _))
            {
                list.Add(new Meeting(m.Title.Length == 0 ? "Meeting" : m.Title, s, e, m.SipUri, m.Pin.Length == 0 ? null : m.Pin));
            }
        }
        return [.. list.OrderBy(x => x.Start)];
    }
}

/// <summary>
/// What join dials: the meeting joinable now (during it or up to 5 minutes before; the one in
/// progress first), else the configured default URI, else nothing.
/// </summary>
public sealed class CalendarJoinTargets(IReadOnlyList<Meeting> meetings, string? defaultUri) : IJoinTargetProvider
{
    /// <inheritdoc />
    public (string Target, Meeting? Meeting)? Current(DateTimeOffset now)
    {
        Meeting? best = null;
        foreach (var m in meetings)
        {
            if (!m.IsJoinableAt(now))
            {
                continue;
            }
            bool running = now >= m.Start;
            bool bestRunning = best is not null && now >= best.Start;
            if (best is null || (running && !bestRunning) || (running == bestRunning && m.Start < best.Start))
            {
                best = m;
            }
        }
        if (best is not null)
        {
            return (best.SipUri, best);
        }
        return string.IsNullOrWhiteSpace(defaultUri) ? null : (defaultUri, null);
    }

    /// <summary>The next meeting that starts after <paramref name="now"/>, for display.</summary>
    public Meeting? Next(DateTimeOffset now) => meetings.Where(m => m.Start > now).OrderBy(m => m.Start).FirstOrDefault();
}
