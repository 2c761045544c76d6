using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace RoomDevice.Calls.Tests;

/// <summary>Keeps log lines so a failing test can show them.</summary>
internal sealed class TestLogger : ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public string Text => string.Join('\n', _lines);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        _lines.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
    }
}
