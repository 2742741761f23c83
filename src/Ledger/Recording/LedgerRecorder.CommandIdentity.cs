using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using RatificationLedger.Domain;
using Marten;

namespace RatificationLedger.Recording;

// Command identity: names, content hashes, derived ids and provenance checks; answers that need no database.
public sealed partial class LedgerRecorder
{
    // Derived: the command id is the command's own (name and content hash), not one the sender chose.
    private sealed record Item(AccessionCommand Command, Provenance Provenance, string Name, string Hash, string CommandId, bool Derived, string Organization, Rejection? Invalid);

    private Item Prepare(AccessionCommand command, Provenance? provenance)
    {
        var (resolved, unnamed) = WithRecordedBy(provenance);
        provenance = resolved;
        var name = CommandName(command);
        var (hash, derived) = HashAndDerivedId(name, command);
        var id = provenance.CommandId ?? derived;
        ProcessId.TryParse(command.Process, out var orgCode, out _);
        var invalid = unnamed ?? ValidateProvenance(provenance);
        if (invalid is null && id != derived && DerivedIdForm().IsMatch(id))
        {
            // Derived ids are found on their streams, without a receipt: one chosen in their form could pass for another command's.
            invalid = new Rejection(RecordCodes.InvalidProvenance,
                $"command id '{id}' has the form of an id derived from a command ('{{command_name}}:{{40 hex digits}}') but is not this command's ({derived}); leave it out or choose one of another form.");
        }
        return new Item(command, provenance, name, hash, id, id == derived, orgCode, invalid);
    }

    [GeneratedRegex(@"^[a-z][a-z0-9_]*:[0-9a-f]{40}\z", RegexOptions.CultureInvariant)]
    private static partial Regex DerivedIdForm();

    // Answers that need no database: bad provenance, a malformed process id.
    private RecordResult? Refuse(Item item)
    {
        if (item.Invalid is { } invalid)
        {
            return new RecordResult(RecordOutcome.Rejected, item.Command.Process, item.CommandId, [], invalid, 0);
        }
        if (item.Organization.Length == 0)
        {
            // The decider words this rejection; give it an empty context.
            var malformed = AccessionDecider.Decide(item.Command, AccessionState.Initial, new DecisionContext(_time.GetUtcNow(), UnknownOrganization(""), new HashSet<string>()));
            return new RecordResult(RecordOutcome.Rejected, item.Command.Process, item.CommandId, [], malformed.Rejection, 0);
        }
        return null;
    }

    /// <summary>
    /// The provenance with who records it: as given, else the app's <see cref="IRecordedByProvider"/>, else
    /// <see cref="Storage.LedgerOptions.DefaultRecordedBy"/>; when none names anyone, a refusal (an audit trail entry
    /// with no one behind it is not written).
    /// </summary>
    private (Provenance Provenance, Rejection? Unnamed) WithRecordedBy(Provenance? provenance)
    {
        provenance ??= Provenance.None;
        if (provenance.RecordedBy is not null)
        {
            return (provenance, null);
        }
        if ((_recordedBy?.RecordedBy ?? _options.DefaultRecordedBy) is { } by)
        {
            return (provenance with { RecordedBy = by }, null);
        }
        return (provenance, new Rejection(RecordCodes.InvalidProvenance,
            "nobody is named as recording this command: give Provenance.RecordedBy, register an IRecordedByProvider (e.g. the signed-in user), "
            + "or set LedgerOptions.DefaultRecordedBy (e.g. to Environment.UserName in a command-line tool)."));
    }

    // Every provenance that reaches a write went through WithRecordedBy, which refuses it when nobody is named.
    private static string RecordedByOf(Provenance provenance) =>
        provenance.RecordedBy ?? throw new InvalidOperationException("A command reached the write with nobody named as recording it.");

    private static bool SameStamp(Provenance a, Provenance b) =>
        a.RecordedBy == b.RecordedBy && a.CorrelationId == b.CorrelationId && a.CausationId == b.CausationId;

    /// <summary>The stored type name of a command, e.g. <c>approve_ratification</c>.</summary>
    internal static string CommandName(object command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return s_commandNames.GetOrAdd(command.GetType(), static type =>
        {
            var name = type.Name;
            var builder = new StringBuilder(name.Length + 4);
            for (var i = 0; i < name.Length; i++)
            {
                if (char.IsUpper(name[i]) && i > 0)
                {
                    builder.Append('_');
                }
                builder.Append(char.ToLowerInvariant(name[i]));
            }
            return builder.ToString();
        });
    }

    private static readonly ConcurrentDictionary<Type, string> s_commandNames = new();

    /// <summary>SHA-256 (hex) of a command's canonical JSON, prefixed by its name: equal for equal commands.</summary>
    internal static string ContentHash(string name, object command)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(command);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashOf(name, command, hash);
        return Convert.ToHexStringLower(hash);
    }

    // The command's hash: SHA-256 of its name, a line break and its canonical JSON, written into a buffer of the
    // calling thread's (an import prepares commands on every core) rather than a new array per command.
    private static void HashOf(string name, object command, Span<byte> hash)
    {
        var buffer = t_hashBuffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = t_hashWriter ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = CanonicalJson.Encoder, Indented = false });
        buffer.ResetWrittenCount();
        var n = Encoding.UTF8.GetBytes(name, buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(name.Length) + 1));
        buffer.GetSpan(n + 1)[n] = (byte)'\n';
        buffer.Advance(n + 1);
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, command, command.GetType(), CanonicalJson);
        writer.Flush();
        SHA256.HashData(buffer.WrittenSpan, hash);
        if (buffer.Capacity > 1 << 16)
        {
            // One huge command must not pin its buffer to the thread.
            t_hashBuffer = null;
            t_hashWriter = null;
        }
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_hashBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_hashWriter;

    // "{name}:{first 40 hex digits of the hash}", the id derived from a command, and the full hash, in two strings.
    private static (string Hash, string Derived) HashAndDerivedId(string name, object command)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HashOf(name, command, hash);
        var hex = Convert.ToHexStringLower(hash);
        var derived = string.Create(name.Length + 41, (name, hex), static (span, s) =>
        {
            s.name.CopyTo(span);
            span[s.name.Length] = ':';
            s.hex.AsSpan(0, 40).CopyTo(span[(s.name.Length + 1)..]);
        });
        return (hex, derived);
    }

    private static readonly JsonSerializerOptions CanonicalJson = CreateCanonicalJson();

    private static JsonSerializerOptions CreateCanonicalJson()
    {
        var json = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        LedgerStoreExtensions.ConfigureJson(json);
        return json;
    }

    internal static Rejection? ValidateProvenance(Provenance p)
    {
        var bad = AccessionDecider.Text(p.Source, "source", Provenance.TextLimit)
            ?? AccessionDecider.Text(p.Note, "note", Provenance.TextLimit)
            ?? AccessionDecider.Text(p.CommandId, "command id", Provenance.TextLimit)
            ?? AccessionDecider.Text(p.RecordedBy, "recorded by", Provenance.TextLimit)
            ?? AccessionDecider.Text(p.CorrelationId, "correlation id", Provenance.TextLimit)
            ?? AccessionDecider.Text(p.CausationId, "causation id", Provenance.TextLimit);
        if (bad is not null)
        {
            return new Rejection(RecordCodes.InvalidProvenance, bad.Message);
        }
        return p.CommandId is { Length: 0 } ? new Rejection(RecordCodes.InvalidProvenance, "command id is empty; leave it out to derive one from the command.") : null;
    }
}
