using System.Device.Spi;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using RoomDevice.Core.Options;
using RoomDevice.Core.Room;
using RoomDevice.Hardware.Buttons;
using RoomDevice.Hardware.Leds;

namespace RoomDevice.Benchmarks;

/// <summary>Short job, median column and bytes allocated per operation.</summary>
internal sealed class HardwareBenchmarkConfig : ManualConfig
{
    public HardwareBenchmarkConfig()
    {
        AddJob(Job.ShortRun.WithWarmupCount(3).WithIterationCount(10));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median);
    }
}

/// <summary>
/// One LED animation frame: pattern drawn and APA102-encoded for the 12-LED ring (budget: one frame
/// period, 40 ms at 25 frames/s), and one button press through the gesture logic.
/// </summary>
[Config(typeof(HardwareBenchmarkConfig))]
public class LedAndButtonBenchmarks
{
    private readonly Rgb[] _frame = new Rgb[12];
    private readonly CountingSpi _spi = new();
    private Apa102Strip _strip = null!;
    private ButtonGestureDetector _button = null!;
    private long _t;
    private int _presses;

    [GlobalSetup]
    public void Setup()
    {
        _strip = new Apa102Strip(_spi, 12, 10, ownsDevice: false);
        _button = new ButtonGestureDetector(TimeProvider.System, new ButtonTimings(TimeSpan.Zero, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(350)), detectDoublePress: false);
        _button.Gesture += _ => _presses++;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _button.Dispose();
        _strip.Dispose();
    }

    [Benchmark(Description = "LED frame: joining spinner, 12 APA102")]
    public void SpinnerFrame()
    {
        _t += 40;
        LedPatterns.Render(new LedScene(CallPhase.Joining, false, false, 50, false, false, false), TimeSpan.FromMilliseconds(_t), _frame);
        _strip.Show(_frame);
    }

    [Benchmark(Description = "LED frame: idle breathing, 12 APA102")]
    public void BreathingFrame()
    {
        _t += 40;
        LedPatterns.Render(new LedScene(CallPhase.Idle, false, false, 50, false, false, false), TimeSpan.FromMilliseconds(_t), _frame);
        _strip.Show(_frame);
    }

    [Benchmark(Description = "Button press+release through gesture logic")]
    public int ButtonPress()
    {
        _button.OnContact(true);
        _button.OnContact(false);
        return _presses;
    }

    private sealed class CountingSpi : SpiDevice
    {
        public long Bytes { get; private set; }
        public override SpiConnectionSettings ConnectionSettings { get; } = new(0, 1);
        public override byte ReadByte() => 0;
        public override void Read(Span<byte> buffer) => buffer.Clear();
        public override void WriteByte(byte value) => Bytes++;
        public override void Write(ReadOnlySpan<byte> buffer) => Bytes += buffer.Length;
        public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => Bytes += writeBuffer.Length;
    }
}

/// <summary>
/// Configuration: layering, binding and validating the core and hardware sections (what start-up
/// and every desired config from the fleet pay).
/// </summary>
[Config(typeof(HardwareBenchmarkConfig))]
public class ConfigBenchmarks
{
    private OptionsSchema _schema = null!;
    private ConfigLayer[] _layers = null!;
    private ConfigDocumentValidator _validator = null!;
    private Dictionary<string, string?> _desired = null!;

    [GlobalSetup]
    public void Setup()
    {
        _schema = new OptionsSchema([typeof(RoomOptions), typeof(IdentityOptions), typeof(DeviceOptions), typeof(LoggingOptions), typeof(ButtonOptions), typeof(LedOptions)]);
        _validator = new ConfigDocumentValidator(_schema);
        Dictionary<string, string?> board = JsonConfigReader.Read("""
            { "Buttons": { "Join": { "Pin": 17, "Press": "Join", "LongPress": "Leave", "DoublePress": "ToggleMute" }, "Mute": { "Pin": -1 } },
              "Leds": { "Driver": "Apa102", "Count": 12, "SpiBus": 0, "SpiChipSelect": 1, "PowerPin": 5 } }
            """, "board");
        Dictionary<string, string?> site = JsonConfigReader.Read("""{ "Room": { "InitialVolume": 40 }, "Logging": { "Level": "Information" } }""", "site");
        _desired = JsonConfigReader.Read("""{ "Room": { "InitialVolume": 55, "VolumeStep": 5 }, "Leds": { "Brightness": 12 }, "Buttons": { "LongPressMs": 1200 } }""", "desired");
        _layers = [new ConfigLayer("site", site), new ConfigLayer("board", board), new ConfigLayer("desired", _desired)];
    }

    [Benchmark(Description = "Evaluate 3 layers over 6 sections")]
    public int Evaluate() => ConfigEngine.Evaluate(_schema, _layers).Values.Count;

    [Benchmark(Description = "Validate a desired config document")]
    public int ValidateDesired() => _validator.Validate(_desired, "desired").Count;
}
