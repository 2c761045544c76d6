using Microsoft.Extensions.Logging;

namespace RoomDevice.Host.Composition;

/// <summary>The last few log lines, for the terminal renderer (which owns the screen in simulation).</summary>
internal sealed class RecentLog
{
    private readonly Lock _gate = new();
    private readonly Queue<string> _lines = new();

    public const int Capacity = 6;

    public void Add(string line)
    {
        lock (_gate)
        {
            _lines.Enqueue(line);
            while (_lines.Count > Capacity)
            {
                _lines.Dequeue();
            }
        }
    }

    public IReadOnlyList<string> Lines()
    {
        lock (_gate)
        {
            return [.. _lines];
        }
    }
}

/// <summary>Writes log entries into a <see cref="RecentLog"/>.</summary>
internal sealed class RecentLogProvider(RecentLog sink) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(sink, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class Logger(RecentLog sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            string text = formatter(state, exception);
            if (exception is not null)
            {
                text += ": " + exception.Message;
            }
            sink.Add($"{DateTime.UtcNow:HH:mm:ss} {logLevel.ToString()[..4].ToLowerInvariant()} {category}: {text}");
        }
    }
}
