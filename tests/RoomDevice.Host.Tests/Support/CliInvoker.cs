using System.CommandLine;
using System.Globalization;
using RoomDevice.Host.Cli;

namespace RoomDevice.Host.Tests.Support;

/// <summary>Runs the real <c>roomdevice</c> verbs in-process and captures what they print.</summary>
internal static class CliInvoker
{
    private static RootCommand Root()
    {
        var root = new RootCommand("test");
        foreach (Command c in CliVerbs.All())
        {
            root.Subcommands.Add(c);
        }
        return root;
    }

    /// <summary>Runs <paramref name="args"/>; returns the exit code, standard output and standard error.</summary>
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        int exit = Root().Parse(args).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>As <see cref="Run"/>, for verbs that run asynchronously.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        int exit = await Root().Parse(args).InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
