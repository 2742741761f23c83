using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RatificationLedger.Integrity;

namespace RatificationLedger.Tests.Integrity;

/// <summary>
/// The canonicalizer that works on UTF-8 bytes without a document (the verifier's and the write path's) gives the
/// bytes RFC 8785 gives, and the same bytes as the document-based writer it replaced (kept as
/// <see cref="CanonicalJson.Write(JsonElement, IBufferWriter{byte})"/>): proofs and stored hashes depend on them.
/// </summary>
public sealed class Utf8CanonicalizerTests
{
    [Theory]
    // Section 3.2.2.3 and appendix B: numbers are printed from the double they denote.
    [InlineData("1.0", "1")]
    [InlineData("-0", "0")]
    [InlineData("-0.0", "0")]
    [InlineData("0", "0")]
    [InlineData("4.50", "4.5")]
    [InlineData("2e-3", "0.002")]
    [InlineData("1E30", "1e+30")]
    [InlineData("1e21", "1e+21")]
    [InlineData("1e20", "100000000000000000000")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("0.0000001", "1e-7")]
    [InlineData("333333333.33333329", "333333333.3333333")]
    [InlineData("0.000000000000000000000000001", "1e-27")]
    [InlineData("999999999999999", "999999999999999")]
    [InlineData("-999999999999999", "-999999999999999")]
    // 2^53 + 1 is not a double: it is read as 2^53 (appendix B: 9007199254740992).
    [InlineData("9007199254740993", "9007199254740992")]
    [InlineData("295147905179352825856", "295147905179352830000")]
    [InlineData("1424953923781206.25", "1424953923781206.2")]
    [InlineData("5e-324", "5e-324")]
    [InlineData("1.7976931348623157e308", "1.7976931348623157e+308")]
    public void Numbers_are_canonical(string input, string expected)
    {
        Canonical(input).Should().Be(expected);
        Canonical("[" + input + "]").Should().Be("[" + expected + "]");
    }

    [Theory]
    // Only the escapes JSON requires, lowercase hex for other control characters, everything else as UTF-8.
    [InlineData("\"\\u00e9\"", "\"é\"")]
    [InlineData("\"\\u001F\\u0000\\u007f\"", "\"\\u001f\\u0000\u007f\"")]
    [InlineData("\"\\/\"", "\"/\"")]
    [InlineData("\"\\b\\f\\n\\r\\t\\\"\\\\\"", "\"\\b\\f\\n\\r\\t\\\"\\\\\"")]
    [InlineData("\"\\u2028\\u2029\"", "\"\u2028\u2029\"")]
    [InlineData("\"\\uD83D\\uDE00 and 😀\"", "\"😀 and 😀\"")]
    [InlineData("\"\\uFFFF\"", "\"\uffff\"")]
    public void Strings_are_canonical(string input, string expected)
    {
        Canonical(input).Should().Be(expected);
    }

    [Fact]
    public void Members_sort_by_utf16_code_units_not_by_utf8_bytes()
    {
        // U+E000 is EE 80 80 in UTF-8 and U+10000 is F0 90 80 80, so UTF-8 puts U+E000 first; in UTF-16 U+10000 is
        // D800 DC00, before E000 (RFC 8785 section 3.2.3).
        Canonical("""{"\uE000": 1, "\uD800\uDC00": 2}""").Should().Be("{\"\U00010000\":2,\"\uE000\":1}");
        Canonical("""{"\uD800\uDC00": 2, "\uE000": 1}""").Should().Be("{\"\U00010000\":2,\"\uE000\":1}");
    }

    [Fact]
    public void Nested_objects_sort_at_every_level_whatever_the_spacing()
    {
        const string jsonb = """{"b": [{"z": 1, "y": {"d": null, "c": true}}, {}], "a": {"on": "2022-07-05", "member": "TUR"}, "": []}""";
        const string compact = """{"":[],"a":{"member":"TUR","on":"2022-07-05"},"b":[{"y":{"c":true,"d":null},"z":1},{}]}""";

        Canonical(jsonb).Should().Be(compact);
        Canonical(" \n\t" + compact + "\r\n ").Should().Be(compact);
    }

    [Fact]
    public void The_bytes_do_not_depend_on_escapes_in_member_names()
    {
        // "\u0061" is "a": the escaped name sorts and prints as the letter.
        Canonical("""{"b": 1, "\u0061": 2}""").Should().Be("""{"a":2,"b":1}""");
        Canonical("""{"\n": 1, "\u0009": 2}""").Should().Be("""{"\t":2,"\n":1}""");
    }

    [Fact]
    public void What_is_not_json_is_refused_as_before()
    {
        foreach (var bad in new[] { "", " ", "{", "[1,]", "{\"a\":1} x", "1 2", "// c\n1", "1e400", "-1e400", "nul", "'a'", "\"a\nb\"" })
        {
            FluentActions.Invoking(() => CanonicalJson.Canonicalize(bad)).Should().Throw<JsonException>(bad);
            FluentActions.Invoking(() => Old(bad)).Should().Throw<JsonException>(bad);
        }
        // An escaped unpaired surrogate: both refuse it as string reading does.
        foreach (var bad in new[] { "\"\\ud800\"", "\"\\udc00x\"", "{\"\\ud800\":1}" })
        {
            FluentActions.Invoking(() => CanonicalJson.Canonicalize(bad)).Should().Throw<InvalidOperationException>(bad);
            FluentActions.Invoking(() => Old(bad)).Should().Throw<InvalidOperationException>(bad);
        }
        // Bytes that are not UTF-8 (the database never sends them; a caller might).
        FluentActions.Invoking(() => CanonicalJson.Canonicalize([(byte)'"', 0xC3, 0x28, (byte)'"'])).Should().Throw<JsonException>();
        FluentActions.Invoking(() => CanonicalJson.Canonicalize([(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}'])).Should().Throw<JsonException>();
    }

    [Fact]
    public void Duplicate_names_keep_the_order_the_old_sort_gave_them()
    {
        // jsonb never stores duplicates; a JSON text may. Three members where the two equal names are the greater ones
        // are the case where the old sort did not keep the input order.
        foreach (var json in new[]
        {
            """{"b":1,"b":2,"a":3}""", """{"a":1,"a":2}""", """{"b":1,"a":2,"a":1}""",
            "{" + string.Join(",", Enumerable.Range(0, 40).Select(i => $"\"k{i % 7}\":{i}")) + "}",
        })
        {
            Canonical(json).Should().Be(Old(json), json);
        }
    }

    [Fact]
    public void Random_documents_give_the_old_writers_bytes()
    {
        var random = new Random(20220518);
        for (var i = 0; i < 3000; i++)
        {
            var json = RandomJson(random, 0);
            Canonical(json).Should().Be(Old(json), json);
            var utf8 = Encoding.UTF8.GetBytes(json);
            Encoding.UTF8.GetString(CanonicalJson.Canonicalize(utf8)).Should().Be(Old(json), json);
        }
    }

    [Fact]
    public void One_instance_per_thread_gives_the_same_bytes_on_every_thread()
    {
        var random = new Random(7);
        var documents = Enumerable.Range(0, 400).Select(_ => RandomJson(random, 0)).ToArray();
        var expected = documents.Select(Old).ToArray();
        Parallel.For(0, 8 * documents.Length, i => Canonical(documents[i % documents.Length]).Should().Be(expected[i % documents.Length]));
    }

    [Fact]
    public void An_entry_has_the_canonical_form_and_hash_computed_by_hand()
    {
        // Hungary's approval of Sweden's protocol as jsonb gives it back (shorter keys first, ", " and ": "); the hash
        // is SHA-256 of 0x00 and the canonical text below, computed outside this code (Python's hashlib).
        var entry = new LedgerEntry("nato/swe", 4, "ratification_approved",
            """{"on": "2024-02-26", "member": "HUN", "authority": "National Assembly"}""", """{"source": "https://www.parlament.hu/"}""",
            "clerk", "ledger_app", null, null, new DateTimeOffset(2024, 2, 27, 10, 4, 0, TimeSpan.FromHours(1)).AddTicks(1_234_567));

        Encoding.UTF8.GetString(entry.Canonical()).Should().Be(
            """{"causation":null,"correlation":null,"data":{"authority":"National Assembly","member":"HUN","on":"2024-02-26"},"headers":{"source":"https://www.parlament.hu/"},"recordedAt":"2024-02-27T09:04:00.123456Z","recordedBy":"clerk","role":"ledger_app","stream":"nato/swe","type":"ratification_approved","version":4}""");
        LedgerHash.Hex(entry.Hash()).Should().Be("10532c2ad5ae7b85d618f0fbd191fb7f011c5f88121d319580ae5f895151ebc6");
    }

    [Fact]
    public void Entries_from_bytes_and_from_strings_give_the_old_canonical_form()
    {
        var random = new Random(1999);
        var canonicalizer = Utf8Canonicalizer.ForThisThread;
        for (var i = 0; i < 1500; i++)
        {
            var entry = new LedgerEntry(
                RandomText(random), random.NextInt64(1, long.MaxValue), RandomText(random), RandomObject(random, 0),
                random.Next(4) == 0 ? null : RandomObject(random, 0), Maybe(random), Maybe(random), Maybe(random), Maybe(random),
                new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay), TimeSpan.Zero)
                    .ToOffset(TimeSpan.FromMinutes(random.Next(-12 * 60, 12 * 60))));
            var expected = OldCanonical(entry);

            entry.Canonical().Should().Equal(expected, entry.ToString());
            entry.Hash().Should().Equal(System.Security.Cryptography.SHA256.HashData([0, .. expected]));

            var output = new ByteSink(64);
            CanonicalEntry.Write(output, canonicalizer, Encoding.UTF8.GetBytes(entry.Stream), entry.Version, Encoding.UTF8.GetBytes(entry.Type),
                Encoding.UTF8.GetBytes(entry.Data), Field(entry.Headers), Field(entry.RecordedBy), Field(entry.Role), Field(entry.CorrelationId),
                Field(entry.CausationId), entry.RecordedAt.UtcTicks);
            output.Written.ToArray().Should().Equal(expected, entry.ToString());
        }
    }

    [Fact]
    public void Instants_are_written_as_the_format_string_writes_them()
    {
        var random = new Random(11);
        var ticks = new[] { DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks, 0L, 9L, 10L, 638_000_000_000_000_001L }
            .Concat(Enumerable.Range(0, 5000).Select(_ => random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks)));
        foreach (var t in ticks)
        {
            var output = new ByteSink(8);
            CanonicalEntry.Instant(output, t);
            Encoding.ASCII.GetString(output.Written).Should().Be("\"" + LedgerEntry.Instant(new DateTimeOffset(t, TimeSpan.Zero)) + "\"");
        }
    }

    private static Utf8Field Field(string? text) => text is null ? Utf8Field.Null : new Utf8Field(Encoding.UTF8.GetBytes(text));

    private static string Canonical(string json) => Encoding.UTF8.GetString(CanonicalJson.Canonicalize(json));

    // The document-based writer, as LedgerEntry and CanonicalJson.Canonicalize used it before.
    private static string Old(string json)
    {
        using var document = JsonDocument.Parse(json);
        var buffer = new ArrayBufferWriter<byte>();
        CanonicalJson.Write(document.RootElement, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // LedgerEntry.Canonical() as it was written before the UTF-8 canonicalizer.
    private static byte[] OldCanonical(LedgerEntry e)
    {
        var buffer = new ArrayBufferWriter<byte>();
        void Put(string ascii) => buffer.Write(Encoding.ASCII.GetBytes(ascii));
        void Text(string? text)
        {
            if (text is null)
            {
                Put("null");
            }
            else
            {
                CanonicalJson.WriteString(text, buffer);
            }
        }
        void Json(string json)
        {
            using var document = JsonDocument.Parse(json);
            CanonicalJson.Write(document.RootElement, buffer);
        }
        Put("{\"causation\":");
        Text(e.CausationId);
        Put(",\"correlation\":");
        Text(e.CorrelationId);
        Put(",\"data\":");
        Json(e.Data);
        Put(",\"headers\":");
        if (e.Headers is null)
        {
            Put("null");
        }
        else
        {
            Json(e.Headers);
        }
        Put(",\"recordedAt\":");
        Text(LedgerEntry.Instant(e.RecordedAt));
        Put(",\"recordedBy\":");
        Text(e.RecordedBy);
        Put(",\"role\":");
        Text(e.Role);
        Put(",\"stream\":");
        Text(e.Stream);
        Put(",\"type\":");
        Text(e.Type);
        Put(",\"version\":");
        Put(e.Version.ToString(CultureInfo.InvariantCulture));
        Put("}");
        return buffer.WrittenSpan.ToArray();
    }

    // Characters that exercise the escapes and the sort: ASCII, controls, Latin, the BMP's top, surrogate pairs.
    private static readonly string[] Pieces =
    [
        "a", "b", "on", "member", "Z", "_", "1", " ", "\"", "\\", "/", "\n", "\t", "\u0001", "\u001f", "\u007f", "é", "ö", "\u0080",
        "€", "\u2028", "\ufb33", "\ue000", "\uffff", "😀", "\U00010000", "\U0010FFFF", "日本",
    ];

    private static string RandomText(Random random)
    {
        var text = new StringBuilder();
        for (int i = 0, n = random.Next(0, 6); i < n; i++)
        {
            text.Append(Pieces[random.Next(Pieces.Length)]);
        }
        return text.ToString();
    }

    private static string? Maybe(Random random) => random.Next(3) == 0 ? null : RandomText(random);

    // A JSON string literal with random choices of escaping (what jsonb and other writers may give).
    private static string Literal(Random random, string text)
    {
        var s = new StringBuilder("\"");
        foreach (var rune in text.EnumerateRunes())
        {
            var c = rune.ToString();
            if (rune.Value < 0x20 || c == "\"" || c == "\\")
            {
                var shortForm = rune.Value switch { 0x22 => "\\\"", 0x5c => "\\\\", 0x0a => "\\n", 0x09 => "\\t", _ => null };
                s.Append(shortForm is not null && random.Next(2) == 0
                    ? shortForm
                    : "\\u" + rune.Value.ToString(random.Next(2) == 0 ? "X4" : "x4", CultureInfo.InvariantCulture));
            }
            else if (random.Next(4) == 0)
            {
                foreach (var unit in c)
                {
                    s.Append("\\u").Append(((int)unit).ToString(random.Next(2) == 0 ? "X4" : "x4", CultureInfo.InvariantCulture));
                }
            }
            else if (c == "/" && random.Next(2) == 0)
            {
                s.Append("\\/");
            }
            else
            {
                s.Append(c);
            }
        }
        return s.Append('"').ToString();
    }

    private static readonly string[] Numbers =
    [
        "0", "-0", "1", "-1", "10", "1.0", "-0.0", "1.5", "0.1", "1e3", "1E-7", "2e-3", "1e21", "1e20", "123456789012345",
        "1234567890123456", "-98765432109876543210", "9007199254740993", "3.141592653589793", "0.30000000000000004",
        "5e-324", "1.7976931348623157e308", "4.50", "100", "1e+2", "0.000001", "123.456e5",
    ];

    private static string RandomObject(Random random, int depth)
    {
        var names = Enumerable.Range(0, random.Next(0, 7)).Select(_ => RandomText(random)).Distinct().ToList();
        var space = random.Next(2) == 0 ? " " : "";
        return "{" + space + string.Join("," + space, names.Select(n => Literal(random, n) + ":" + space + RandomJson(random, depth + 1))) + space + "}";
    }

    private static string RandomJson(Random random, int depth) => (depth > 3 ? random.Next(4) : random.Next(7)) switch
    {
        0 => Literal(random, RandomText(random)),
        1 => Numbers[random.Next(Numbers.Length)],
        2 => random.Next(3) switch { 0 => "true", 1 => "false", _ => "null" },
        3 => random.Next(3).ToString(CultureInfo.InvariantCulture) + "." + random.Next(1000).ToString(CultureInfo.InvariantCulture) + "e" + random.Next(-30, 30).ToString(CultureInfo.InvariantCulture),
        4 or 5 => RandomObject(random, depth),
        _ => "[" + string.Join(", ", Enumerable.Range(0, random.Next(0, 5)).Select(_ => RandomJson(random, depth + 1))) + "]",
    };
}
