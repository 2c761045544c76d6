using BenchmarkDotNet.Running;

// Run with: dotnet run -c Release --project tests/RoomDevice.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(RoomDevice.Benchmarks.BenchmarkAssembly).Assembly).Run(args);

namespace RoomDevice.Benchmarks
{
    /// <summary>Anchor type for benchmark discovery.</summary>
    internal static class BenchmarkAssembly;
}
