using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RoomDevice.Management;
using RoomDevice.Management.Fleet;
using RoomDevice.Management.Provisioning;
using Spectre.Console;

namespace RoomDevice.Fleet;

/// <summary>The roomctl command line: find, claim, configure and command RoomDevice appliances over MQTT.</summary>
internal static class RoomCtl
{
    /// <summary>Parses and runs <paramref name="args"/>, writing to <paramref name="console"/>.</summary>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, CancellationToken ct = default)
    {
        RootCommand root = Build(console);
        var invocation = new InvocationConfiguration { Output = new ConsoleWriter(console), Error = new ConsoleWriter(console) };
        return await root.Parse(args).InvokeAsync(invocation, ct).ConfigureAwait(false);
    }

    private sealed class Broker
    {
        public Option<string> Host { get; } = new("--host") { Description = "Broker host", DefaultValueFactory = _ => "127.0.0.1", Recursive = true };
        public Option<int> Port { get; } = new("--port") { Description = "Broker port", DefaultValueFactory = _ => 1883, Recursive = true };
        public Option<bool> Tls { get; } = new("--tls") { Description = "Use TLS", Recursive = true };
        public Option<string?> Ca { get; } = new("--ca") { Description = "PEM CA that signed the broker certificate", HelpName = "FILE", Recursive = true };
        public Option<string?> Cert { get; } = new("--cert") { Description = "PEM client certificate", HelpName = "FILE", Recursive = true };
        public Option<string?> Key { get; } = new("--key") { Description = "PEM key of the client certificate", HelpName = "FILE", Recursive = true };
        public Option<string?> User { get; } = new("--user") { Description = "User name", Recursive = true };
        public Option<string?> Password { get; } = new("--password") { Description = "Password (or ROOMCTL_PASSWORD)", Recursive = true };
        public Option<double> Timeout { get; } = new("--timeout") { Description = "Seconds to wait for device answers", DefaultValueFactory = _ => 10, Recursive = true };

        public void AddTo(RootCommand root)
        {
            foreach (Option o in new Option[] { Host, Port, Tls, Ca, Cert, Key, User, Password, Timeout })
            {
                root.Options.Add(o);
            }
        }

        public FleetConnectionOptions Options(ParseResult r)
        {
            int port = r.GetValue(Port);
            if (port is < 1 or > 65535)
            {
                throw new UsageException($"--port {port} is out of range; accepted: 1 to 65535");
            }
            string? cert = r.GetValue(Cert), key = r.GetValue(Key), ca = r.GetValue(Ca);
            foreach ((string name, string? file) in new[] { ("--ca", ca), ("--cert", cert), ("--key", key) })
            {
                if (file is not null && !File.Exists(file))
                {
                    throw new UsageException($"{name} {file}: file not found; accepted: the path of a PEM file");
                }
            }
            if ((cert is null) != (key is null))
            {
                throw new UsageException("--cert and --key go together; accepted: both or neither");
            }
            return new FleetConnectionOptions(r.GetValue(Host) ?? "127.0.0.1", port)
            {
                UseTls = r.GetValue(Tls) || ca is not null || cert is not null,
                CaFile = ca,
                CertFile = cert,
                KeyFile = key,
                Username = r.GetValue(User),
                Password = r.GetValue(Password) ?? Environment.GetEnvironmentVariable("ROOMCTL_PASSWORD"),
            };
        }

        public TimeSpan Wait(ParseResult r)
        {
            double s = r.GetValue(Timeout);
            if (s is <= 0 or > 3600 || double.IsNaN(s))
            {
                throw new UsageException($"--timeout {s} is out of range; accepted: seconds from 0.1 to 3600");
            }
            return TimeSpan.FromSeconds(s);
        }
    }

    private sealed class Target
    {
        public Option<string[]> Device { get; } = new("--device") { Description = "Device id (repeatable)", HelpName = "ID", AllowMultipleArgumentsPerToken = false };
        public Option<string?> Room { get; } = new("--room") { Description = "Every device claimed into this room", HelpName = "NAME" };
        public Option<bool> All { get; } = new("--all") { Description = "Every device known to the broker" };

        public void AddTo(Command c)
        {
            c.Options.Add(Device);
            c.Options.Add(Room);
            c.Options.Add(All);
        }

        /// <summary>The device ids selected; the view resolves rooms and --all.</summary>
        public IReadOnlyList<string> Resolve(ParseResult r, FleetView view)
        {
            string[] ids = r.GetValue(Device) ?? [];
            string? room = r.GetValue(Room);
            bool all = r.GetValue(All);
            int chosen = (ids.Length > 0 ? 1 : 0) + (room is not null ? 1 : 0) + (all ? 1 : 0);
            if (chosen != 1)
            {
                throw new UsageException("say which devices: exactly one of --device ID (repeatable), --room NAME or --all");
            }
            foreach (string id in ids)
            {
                if (!Core.Identity.DeviceIdentity.IsValid(id))
                {
                    throw new UsageException($"--device '{id}' is not a device id; accepted: {Core.Identity.DeviceIdentity.Accepted}");
                }
            }
            if (ids.Length > 0)
            {
                return ids;
            }
            IEnumerable<DeviceView> known = view.Devices.Where(d => d.Birth is not null || d.Status is not null);
            if (room is not null)
            {
                known = known.Where(d => string.Equals(d.Room, room, StringComparison.OrdinalIgnoreCase));
            }
            return [.. known.Select(d => d.Id)];
        }
    }

    private static RootCommand Build(IAnsiConsole console)
    {
        var broker = new Broker();
        var root = new RootCommand("roomctl: find, claim, configure and command RoomDevice appliances over MQTT");
        broker.AddTo(root);
        root.Subcommands.Add(DevicesCommand(console, broker));
        root.Subcommands.Add(WatchCommand(console, broker));
        root.Subcommands.Add(ClaimCommand(console, broker));
        root.Subcommands.Add(ConfigCommand(console, broker));
        root.Subcommands.Add(CmdCommand(console, broker));
        root.Subcommands.Add(AclCommand(console));
        root.Subcommands.Add(FleetSimulation.Command(console, broker.Options, broker.Wait));
        return root;
    }

    /// <summary>Runs <paramref name="body"/> with a connected client, turning known failures into exit codes and messages.</summary>
    internal static async Task<int> WithClient(IAnsiConsole console, Func<FleetConnectionOptions> options, Func<FleetClient, Task<int>> body, CancellationToken ct)
    {
        FleetConnectionOptions o;
        try
        {
            o = options();
        }
        catch (UsageException ex)
        {
            console.MarkupLine("[red]error:[/] " + Markup.Escape(ex.Message));
            return ExitCodes.Usage;
        }
        FleetClient client;
        try
        {
            client = await FleetClient.ConnectAsync(o, ct).ConfigureAwait(false);
        }
        catch (FleetConnectionException ex)
        {
            console.MarkupLine("[red]error:[/] " + Markup.Escape(ex.Message));
            return ExitCodes.Broker;
        }
        await using (client.ConfigureAwait(false))
        {
            try
            {
                return await body(client).ConfigureAwait(false);
            }
            catch (UsageException ex)
            {
                console.MarkupLine("[red]error:[/] " + Markup.Escape(ex.Message));
                return ExitCodes.Usage;
            }
        }
    }

    private static Task<FleetView> Snapshot(FleetClient c, CancellationToken ct) =>
        FleetView.SnapshotAsync(c, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10), ct);

    // ------------------------------------------------------------------ devices / watch

    private static Command DevicesCommand(IAnsiConsole console, Broker broker)
    {
        var cmd = new Command("devices", "Table of every device: online, room, state, health, versions (from retained topics)");
        cmd.SetAction((r, ct) => WithClient(console, () => broker.Options(r), async c =>
        {
            FleetView view = await Snapshot(c, ct).ConfigureAwait(false);
            console.Write(DeviceTable(view));
            return ExitCodes.Ok;
        }, ct));
        return cmd;
    }

    private static Command WatchCommand(IAnsiConsole console, Broker broker)
    {
        var seconds = new Option<double>("--seconds") { Description = "Stop after this many seconds (default: until Ctrl+C)" };
        var cmd = new Command("watch", "The devices table, updated live");
        cmd.Options.Add(seconds);
        cmd.SetAction((r, ct) => WithClient(console, () => broker.Options(r), async c =>
        {
            var view = new FleetView();
            int dirty = 1;
            c.MessageReceived += m =>
            {
                if (view.Apply(m))
                {
                    Interlocked.Exchange(ref dirty, 1);
                }
            };
            await c.SubscribeAsync(ct, FleetView.Filters).ConfigureAwait(false);
            double limit = r.GetValue(seconds);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (limit > 0)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(limit));
            }
            await console.Live(DeviceTable(view)).StartAsync(async live =>
            {
                while (!stop.IsCancellationRequested)
                {
                    if (Interlocked.Exchange(ref dirty, 0) == 1)
                    {
                        live.UpdateTarget(DeviceTable(view));
                    }
                    try
                    {
                        await Task.Delay(250, stop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
                live.UpdateTarget(DeviceTable(view));
            }).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));
        return cmd;
    }

    internal static Table DeviceTable(FleetView view)
    {
        var t = new Table().Border(TableBorder.Rounded);
        foreach (string h in new[] { "Device", "Online", "Room", "State", "Health", "App", "Config" })
        {
            t.AddColumn(h);
        }
        foreach (DeviceView d in view.Devices)
        {
            string online = d.Status is null ? "[grey]?[/]" : d.Online ? $"[green]online[/] s{d.Session}" : $"[red]offline[/] s{d.Session}";
            string room = d.Unclaimed is not null && d.Room is null ? "[yellow]unclaimed[/]" : Markup.Escape(d.Room is null ? "-" : d.Site is null ? d.Room : $"{d.Room} ({d.Site})");
            string state = d.State is null ? "-" : Markup.Escape($"{(string?)d.State["phase"]}{((bool?)d.State["muted"] == true ? ", muted" : "")}, vol {(int?)d.State["volume"]}");
            string? overall = (string?)d.Health?["overall"];
            string health = overall switch
            {
                "ok" => "[green]ok[/]",
                "degraded" => "[yellow]degraded[/]",
                "failed" => "[red]failed[/]",
                null => "-",
                _ => Markup.Escape(overall),
            };
            string app = Markup.Escape((string?)d.Birth?["appVersion"] ?? "-");
            string config = d.Reported is null ? "-" : ConfigCell(d);
            t.AddRow(Markup.Escape(d.Id), online, room, state, health, app, config);
        }
        if (view.Devices.Count == 0)
        {
            t.Caption("no devices seen on this broker");
        }
        return t;
    }

    private static string ConfigCell(DeviceView d)
    {
        string result = (string?)d.Reported!["result"] ?? "?";
        string text = $"v{d.AppliedVersion}";
        if (d.DesiredVersion > d.AppliedVersion)
        {
            text += $" (desired v{d.DesiredVersion})";
        }
        return result == "rejected" ? $"{text} [red]rejected v{(long?)d.Reported["version"]}[/]" : Markup.Escape(text);
    }

    // ------------------------------------------------------------------ claim

    private static Command ClaimCommand(IAnsiConsole console, Broker broker)
    {
        var code = new Option<string>("--code") { Description = "Claim code shown by the device", Required = true };
        var room = new Option<string>("--room") { Description = "Room name, e.g. \"Oslo 4.12\"", Required = true };
        var site = new Option<string?>("--site") { Description = "Site name, e.g. HQ" };
        var cmd = new Command("claim", "Assign an unclaimed device (found by its claim code) to a room");
        cmd.Options.Add(code);
        cmd.Options.Add(room);
        cmd.Options.Add(site);
        cmd.SetAction((r, ct) => WithClient(console, () => broker.Options(r), async c =>
        {
            string theCode = r.GetValue(code)!;
            if (!ClaimCodes.IsWellFormed(theCode))
            {
                throw new UsageException($"--code '{theCode}' is not a claim code; accepted: {ClaimCodes.Accepted}");
            }
            string theRoom = r.GetValue(room)!;
            if (theRoom.Trim().Length is 0 or > 100)
            {
                throw new UsageException("--room must be a name of 1 to 100 characters");
            }
            FleetView view = await Snapshot(c, ct).ConfigureAwait(false);
            DeviceView[] unclaimed = [.. view.Devices.Where(d => d.Unclaimed is not null)];
            DeviceView? match = unclaimed.FirstOrDefault(d => (string?)d.Unclaimed!["claimCodeHash"] == ClaimCodes.Hash(d.Id, theCode));
            if (match is null)
            {
                console.MarkupLine($"[red]no unclaimed device shows claim code {Markup.Escape(theCode)}[/] ({unclaimed.Length} unclaimed device(s) seen); check the code on the device and that it is online");
                return ExitCodes.SomeFailed;
            }
            var body = new JsonObject { ["v"] = 1, ["code"] = theCode, ["room"] = theRoom };
            if (r.GetValue(site) is string s)
            {
                body["site"] = s;
            }
            JsonObject? answer = await c.RequestAsync(match.Id, Topics.Assign(match.Id), JsonSerializer.SerializeToUtf8Bytes(body), broker.Wait(r), ct).ConfigureAwait(false);
            if (answer is null)
            {
                console.MarkupLine($"[red]{Markup.Escape(match.Id)} did not answer within the timeout[/] (offline?)");
                return ExitCodes.SomeFailed;
            }
            if ((string?)answer["status"] != "succeeded")
            {
                console.MarkupLine($"[red]{Markup.Escape(match.Id)} refused:[/] {Markup.Escape((string?)answer["error"]?["message"] ?? answer.ToJsonString())}");
                return ExitCodes.SomeFailed;
            }
            console.MarkupLine($"[green]claimed[/] {Markup.Escape(match.Id)} into room {Markup.Escape(theRoom)}{(r.GetValue(site) is string st ? " at site " + Markup.Escape(st) : "")}");
            return ExitCodes.Ok;
        }, ct));
        return cmd;
    }

    // ------------------------------------------------------------------ config

    private static Command ConfigCommand(IAnsiConsole console, Broker broker)
    {
        var config = new Command("config", "Read and change the desired configuration of devices");

        var getTarget = new Target();
        var getKey = new Argument<string?>("KEY") { Description = "Section:Key to show (default: versions and errors)", Arity = ArgumentArity.ZeroOrOne };
        var get = new Command("get", "Show desired and applied versions, validation errors, or one key's desired value");
        get.Arguments.Add(getKey);
        getTarget.AddTo(get);
        get.SetAction((r, ct) => WithClient(console, () => broker.Options(r), async c =>
        {
            FleetView view = await Snapshot(c, ct).ConfigureAwait(false);
            IReadOnlyList<string> ids = getTarget.Resolve(r, view);
            string? key = r.GetValue(getKey);
            string[]? path = key is null ? null : KeyPath(key);
            var t = new Table().Border(TableBorder.Rounded).AddColumns("Device", "Desired", "Applied", "Result", key is null ? "Errors" : Markup.Escape(key));
            foreach (string id in ids)
            {
                DeviceView? d = view.Find(id);
                string result = (string?)d?.Reported?["result"] ?? "-";
                string last = path is null ? Errors(d?.Reported) : Markup.Escape(Lookup(d?.Desired?["config"], path)?.ToJsonString() ?? "(default)");
                t.AddRow(Markup.Escape(id), d is null || d.DesiredVersion == 0 ? "-" : "v" + d.DesiredVersion, d is null ? "-" : "v" + d.AppliedVersion, result == "rejected" ? "[red]rejected[/]" : Markup.Escape(result), last);
            }
            console.Write(t);
            return ExitCodes.Ok;
        }, ct));
        config.Subcommands.Add(get);

        var setTarget = new Target();
        var setKey = new Argument<string>("KEY") { Description = "Section:Key, e.g. Room:InitialVolume" };
        var setValue = new Argument<string>("VALUE") { Description = "Value: a number, true/false, null, or text" };
        var set = new Command("set", "Set one key in the desired config (new version) and show each device's result");
        set.Arguments.Add(setKey);
        set.Arguments.Add(setValue);
        setTarget.AddTo(set);
        set.SetAction((r, ct) => WithClient(console, () => broker.Options(r), async c =>
        {
            string[] path = KeyPath(r.GetValue(setKey)!);
            JsonNode? value = TypedValue(r.GetValue(setValue)!);
            FleetView view = await Snapshot(c, ct).ConfigureAwait(false);
            IReadOnlyList<string> ids = setTarget.Resolve(r, view);
            return await PublishDesired(console, c, view, ids, current =>
            {
                JsonObject node = current;
                for (int i = 0; i < path.Length - 1; i++)
                {
                    if (node[path[i]] is not JsonObject child)
                    {
                        child = [];
                        node[path[i]] = child;
                    }
                    node = child;
                }
                node[path[^1]] = value?.DeepClone();
                return current;
            }, broker.Wait(r), ct).ConfigureAwait(false);
        }, ct));
        config.Subcommands.Add(set);

        var applyTarget = new Target();
        var file = new Argument<string>("FILE") { Description = "JSON file: an object of sections, e.g. {\"Room\":{\"InitialVolume\":60}}" };
        var apply = new Command("apply", "Replace the desired config with a file (new version) and show each device's result");
        apply.Arguments.Add(file);
        applyTarget.AddTo(apply);
        apply.SetAction((r, ct) => WithClient(console, () => broker.Options(r), async c =>
        {
            JsonObject doc = ReadConfigFile(r.GetValue(file)!);
            FleetView view = await Snapshot(c, ct).ConfigureAwait(false);
            IReadOnlyList<string> ids = applyTarget.Resolve(r, view);
            return await PublishDesired(console, c, view, ids, _ => (JsonObject)doc.DeepClone(), broker.Wait(r), ct).ConfigureAwait(false);
        }, ct));
        config.Subcommands.Add(apply);
        return config;
    }

    internal static JsonObject ReadConfigFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"{path}: file not found; accepted: a JSON file with an object of sections");
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new UsageException($"{path}: not valid JSON ({ex.Message.Split(" Path:")[0]}); accepted: an object of sections, e.g. {{\"Room\":{{\"InitialVolume\":60}}}}");
        }
        if (node is not JsonObject o)
        {
            throw new UsageException($"{path}: the top level must be an object of sections, e.g. {{\"Room\":{{\"InitialVolume\":60}}}}");
        }
        if (o["config"] is JsonObject inner && o.ContainsKey("version"))
        {
            o = (JsonObject)inner.DeepClone(); // a whole desired document: take its config
        }
        foreach (KeyValuePair<string, JsonNode?> kv in o)
        {
            if (kv.Value is not JsonObject)
            {
                throw new UsageException($"{path}: section '{kv.Key}' must be a JSON object of keys");
            }
        }
        return o;
    }

    private static async Task<int> PublishDesired(IAnsiConsole console, FleetClient c, FleetView view, IReadOnlyList<string> ids, Func<JsonObject, JsonObject> change, TimeSpan wait, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            console.MarkupLine("[yellow]no devices match[/]");
            return ExitCodes.SomeFailed;
        }
        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        var answers = new System.Collections.Concurrent.ConcurrentDictionary<string, JsonObject>(StringComparer.Ordinal);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        c.MessageReceived += m =>
        {
            string? id = Topics.DeviceIdOf(m.Topic);
            if (id is null || m.Topic != Topics.ConfigReported(id) || m.Payload.Length == 0)
            {
                return;
            }
            lock (expected)
            {
                if (!expected.TryGetValue(id, out long v))
                {
                    return;
                }
                try
                {
                    if (JsonNode.Parse(m.Payload) is JsonObject o && o["version"] is JsonValue jv && jv.TryGetValue(out long got) && got == v)
                    {
                        answers[id] = o;
                        if (answers.Count == expected.Count)
                        {
                            done.TrySetResult();
                        }
                    }
                }
                catch (JsonException)
                {
                }
            }
        };
        foreach (string id in ids)
        {
            DeviceView? d = view.Find(id);
            JsonObject current = d?.Desired?["config"] is JsonObject cfg ? (JsonObject)cfg.DeepClone() : [];
            long version = Math.Max(d?.DesiredVersion ?? 0, d?.AppliedVersion ?? 0) + 1;
            JsonObject next = change(current);
            lock (expected)
            {
                expected[id] = version;
            }
            var doc = new JsonObject { ["v"] = 1, ["version"] = version, ["config"] = next };
            await c.PublishAsync(Topics.ConfigDesired(id), JsonSerializer.SerializeToUtf8Bytes(doc), retain: true, ct: ct).ConfigureAwait(false);
        }
        try
        {
            await done.Task.WaitAsync(wait, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        var t = new Table().Border(TableBorder.Rounded).AddColumns("Device", "Version", "Result", "Errors");
        int failed = 0;
        foreach (string id in ids)
        {
            long v = expected[id];
            if (answers.TryGetValue(id, out JsonObject? a))
            {
                string result = (string?)a["result"] ?? "?";
                if (result != "applied")
                {
                    failed++;
                }
                t.AddRow(Markup.Escape(id), "v" + v, result == "applied" ? "[green]applied[/]" : "[red]" + Markup.Escape(result) + "[/]", Errors(a));
            }
            else
            {
                failed++;
                t.AddRow(Markup.Escape(id), "v" + v, "[yellow]no answer[/]", "offline? the desired config is retained and applies when it reconnects");
            }
        }
        console.Write(t);
        return failed == 0 ? ExitCodes.Ok : ExitCodes.SomeFailed;
    }

    private static string Errors(JsonObject? reported)
    {
        if (reported?["errors"] is not JsonArray errors || errors.Count == 0)
        {
            return (string?)reported?["message"] is string msg ? Markup.Escape(msg) : "";
        }
        return string.Join("\n", errors.OfType<JsonObject>().Select(e =>
            Markup.Escape($"{(string?)e["key"]}: {(string?)e["problem"]} (accepted: {(string?)e["accepted"]})")));
    }

    internal static string[] KeyPath(string key)
    {
        string[] parts = key.Split(':');
        if (parts.Length < 2 || parts.Any(p => p.Length == 0 || p.Any(char.IsWhiteSpace)))
        {
            throw new UsageException($"key '{key}' is not of the form Section:Key; accepted: e.g. Room:InitialVolume or Mqtt:KeepAliveSeconds");
        }
        return parts;
    }

    private static JsonNode? Lookup(JsonNode? node, string[] path)
    {
        foreach (string p in path)
        {
            if (node is not JsonObject o)
            {
                return null;
            }
            JsonNode? next = null;
            foreach (KeyValuePair<string, JsonNode?> kv in o)
            {
                if (string.Equals(kv.Key, p, StringComparison.OrdinalIgnoreCase))
                {
                    next = kv.Value;
                }
            }
            node = next;
        }
        return node;
    }

    /// <summary>A command-line value as JSON: whole numbers, decimals, true/false, null, else text.</summary>
    internal static JsonNode? TypedValue(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
        {
            return JsonValue.Create(l);
        }
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d))
        {
            return JsonValue.Create(d);
        }
        return raw switch
        {
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            "null" => null,
            _ => JsonValue.Create(raw),
        };
    }

    // ------------------------------------------------------------------ cmd

    private static Command CmdCommand(IAnsiConsole console, Broker broker)
    {
        var target = new Target();
        var name = new Argument<string>("NAME") { Description = "Command: " + string.Join(", ", Topics.CommandNames) };
        var args = new Option<string[]>("--arg") { Description = "Argument KEY=VALUE (repeatable), e.g. --arg level=40", HelpName = "KEY=VALUE" };
        var cmd = new Command("cmd", "Send a command and show each device's result");
        cmd.Arguments.Add(name);
        cmd.Options.Add(args);
        target.AddTo(cmd);
        cmd.SetAction((r, ct) => WithClient(console, () => broker.Options(r), async c =>
        {
            string n = r.GetValue(name)!;
            if (!Topics.CommandNames.Contains(n))
            {
                throw new UsageException($"unknown command '{n}'; accepted: {string.Join(", ", Topics.CommandNames)}");
            }
            JsonObject? argObject = ParseArgs(r.GetValue(args) ?? []);
            IReadOnlyList<string> ids;
            if ((r.GetValue(target.Device) ?? []).Length > 0)
            {
                ids = target.Resolve(r, new FleetView());
            }
            else
            {
                ids = target.Resolve(r, await Snapshot(c, ct).ConfigureAwait(false));
            }
            if (ids.Count == 0)
            {
                console.MarkupLine("[yellow]no devices match[/]");
                return ExitCodes.SomeFailed;
            }
            TimeSpan wait = broker.Wait(r);
            CommandReply[] replies = [];
            await console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async p =>
                {
                    ProgressTask accepted = p.AddTask($"accepted ({ids.Count})", maxValue: ids.Count);
                    ProgressTask finished = p.AddTask($"{n}: done ({ids.Count})", maxValue: ids.Count);
                    replies = await Task.WhenAll(ids.Select(async id =>
                    {
                        CommandReply reply = await c.SendCommandAsync(id, n, argObject?.DeepClone().AsObject(), wait, onAccepted: _ => accepted.Increment(1), ct: ct).ConfigureAwait(false);
                        finished.Increment(1);
                        return reply;
                    })).ConfigureAwait(false);
                }).ConfigureAwait(false);
            var t = new Table().Border(TableBorder.Rounded).AddColumns("Device", "Status", "Detail", "ms");
            foreach (CommandReply rep in replies.OrderBy(x => x.DeviceId, StringComparer.Ordinal))
            {
                string status = rep.Status switch
                {
                    "succeeded" => "[green]succeeded[/]",
                    null => rep.Accepted ? "[yellow]accepted, no result[/]" : "[yellow]no answer[/]",
                    _ => "[red]" + Markup.Escape(rep.Status) + "[/]",
                };
                string detail = rep.ErrorMessage is not null
                    ? Markup.Escape($"{rep.ErrorCode}: {rep.ErrorMessage}")
                    : Markup.Escape(rep.Body?["result"]?.ToJsonString() ?? "");
                t.AddRow(Markup.Escape(rep.DeviceId), status, detail, rep.Elapsed.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture));
            }
            console.Write(t);
            return replies.All(x => x.Status == "succeeded") ? ExitCodes.Ok : ExitCodes.SomeFailed;
        }, ct));
        return cmd;
    }

    internal static JsonObject? ParseArgs(string[] pairs)
    {
        if (pairs.Length == 0)
        {
            return null;
        }
        var o = new JsonObject();
        foreach (string pair in pairs)
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new UsageException($"--arg '{pair}' is not KEY=VALUE; accepted: e.g. --arg level=40 or --arg uri=sip:room@example.com");
            }
            o[pair[..eq]] = TypedValue(pair[(eq + 1)..]);
        }
        return o;
    }

    // ------------------------------------------------------------------ acl

    private static Command AclCommand(IAnsiConsole console)
    {
        var output = new Option<string>("--out") { Description = "File to write", Required = true, HelpName = "FILE" };
        var op = new Option<string>("--operator") { Description = "User name of fleet operators (certificate identity with use_identity_as_username)", DefaultValueFactory = _ => "roomctl" };
        var by = new Option<string>("--devices-by")
        {
            Description = "How the broker knows a device: client-id (any client id), or certificate (CN = device id; needs require_certificate and use_identity_as_username)",
            DefaultValueFactory = _ => "client-id",
        };
        var cmd = new Command("acl", "Write a mosquitto ACL that confines each device to its own subtree");
        cmd.Options.Add(output);
        cmd.Options.Add(op);
        cmd.Options.Add(by);
        cmd.SetAction(r =>
        {
            string path = r.GetValue(output)!;
            string user = r.GetValue(op)!;
            string devicesBy = r.GetValue(by)!;
            if (user.Length == 0 || user.Any(char.IsWhiteSpace))
            {
                console.MarkupLine("[red]error:[/] --operator must be one word (a user name)");
                return ExitCodes.Usage;
            }
            if (devicesBy is not ("client-id" or "certificate"))
            {
                console.MarkupLine("[red]error:[/] --devices-by '" + Markup.Escape(devicesBy) + "' is not known; accepted: client-id, certificate");
                return ExitCodes.Usage;
            }
            try
            {
                File.WriteAllText(path, Acl.Render(user, byCertificate: devicesBy == "certificate"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                console.MarkupLine("[red]error:[/] cannot write " + Markup.Escape(path) + ": " + Markup.Escape(ex.Message));
                return ExitCodes.Usage;
            }
            console.MarkupLine("wrote " + Markup.Escape(path) + " (use it with acl_file in mosquitto.conf)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Routes System.CommandLine's own output (help, parse errors) to the console.</summary>
    private sealed class ConsoleWriter(IAnsiConsole console) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value) => console.Profile.Out.Writer.Write(value);

        public override void Write(string? value) => console.Profile.Out.Writer.Write(value);

        public override void WriteLine(string? value) => console.Profile.Out.Writer.WriteLine(value);
    }
}
