using System.Security.Cryptography;
using Marten;
using Npgsql;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;
using RatificationLedger.Projections.Rebuilding;
using RatificationLedger.Storage;

namespace RatificationLedger.IntegrationTests.ReadSide;

/// <summary>
/// The text a rebuild hashes to compare a document with the stored one (<see cref="JsonbText"/>) is the text the
/// server prints for the same JSON stored as <c>jsonb</c>: the expected text comes from the server, not from the code
/// under test, for documents whose strings hold what System.Text.Json escapes and <c>jsonb</c> does not (and back).
/// </summary>
public sealed class JsonbTextTests : IAsyncLifetime
{
    private readonly string _schema = TestSchemas.Next("jsonbtext");
    private LedgerHost _host = null!;

    public async Task InitializeAsync() => _host = LedgerHost.Start(await TestSchemas.ConnectionStringAsync(), _schema);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    // What System.Text.Json's default encoder escapes (non-ASCII, HTML's characters, the plus of every instant's
    // offset, quotes as \u0022), what jsonb escapes (quote, backslash, control characters), a character outside the
    // Basic Multilingual Plane (a surrogate pair), the line separator, and plain text.
    private static readonly string[] TextValues =
    [
        "Türkiye's Grand National Assembly",
        "a+b <c> & 'd' `e`",
        "quote \" backslash \\ slash /",
        "tab\tnew line\ncarriage return\rbackspace\bform feed\f",
        "control \u0001 \u001f unit separator",
        "emoji 😀 and ✓, line separator \u2028, paragraph \u2029",
        "",
        "https://www.nato-pa.int/content/finland-sweden-accession?x=1&y=2#top",
    ];

    public static TheoryData<string> Texts()
    {
        var data = new TheoryData<string>();
        foreach (var text in TextValues)
        {
            data.Add(text);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public async Task The_text_of_a_register_and_a_status_is_the_servers_text_of_their_jsonb(string text)
    {
        var register = new RatificationRegister
        {
            Id = "nato/fin",
            ProtocolSignedOn = new DateOnly(2022, 7, 5),
            Rows =
            [
                new RegisterRow
                {
                    Member = "TUR", RatifiedOn = new DateOnly(2023, 3, 30), RequiredSince = new DateOnly(2022, 7, 5), DaysFromSignature = 268,
                    Unconfirmed = true, RecordedAt = new DateTimeOffset(2023, 3, 31, 10, 0, 0, TimeSpan.FromHours(3)), RecordedBy = text, Source = text,
                    Steps = [new RegisterStep("ratification", new DateOnly(2023, 3, 30), text, Unconfirmed: true, Source: text)],
                },
                new RegisterRow { Member = "HUN", RequiredSince = new DateOnly(2022, 7, 5), DaysFromSignature = -3 },
            ],
        };
        var status = new AccessionStatus
        {
            Id = "nato/fin", Organization = "nato", Candidate = "FIN", Stage = Stage.Member, InvitationVenue = text, Treaty = text, Entries = 12, Version = 12,
            Ratified = [new MemberDate("TUR", new DateOnly(2023, 3, 30), Unconfirmed: true)], Pending = [text],
        };
        foreach (var document in new object[] { register, status })
        {
            var json = new System.Buffers.ArrayBufferWriter<byte>();
            _host.Store.Options.Serializer().WriteTo(json, document);
            var jsonb = new JsonbText();
            jsonb.TryWrite(json.WrittenSpan).Should().BeTrue();

            var (printed, digest) = await ServerAsync(json.WrittenSpan.ToArray());

            System.Text.Encoding.UTF8.GetString(jsonb.Written).Should().Be(printed);
            SHA256.HashData(jsonb.Written).Should().Equal(digest, "the rebuild compares this digest with the server's");
        }
    }

    // A status and a register with every property set (none null, false or empty where the store would leave it out),
    // their strings `text`: what the direct text must write as the server prints it.
    private static (AccessionStatus Status, RatificationRegister Register) Full(string text, DateTimeOffset instant)
    {
        var status = new AccessionStatus
        {
            Id = "nato/swe", Organization = "nato", Candidate = "SWE", Stage = Stage.ReadyToAccede, AsOf = new DateOnly(2024, 2, 26), KnownAt = instant,
            AppliedOn = new DateOnly(2022, 5, 18), InvitedOn = new DateOnly(2022, 6, 29), InvitationVenue = text, ProtocolSignedOn = new DateOnly(2022, 7, 5),
            AccededOn = new DateOnly(2024, 3, 7), WithdrawnOn = new DateOnly(2024, 3, 8),
            RequiredRatifiers = [new MemberDate("HUN", new DateOnly(2022, 7, 5)), new MemberDate(text, new DateOnly(2022, 7, 5), Unconfirmed: true)],
            Ratified = [new MemberDate("HUN", new DateOnly(2024, 2, 26), Unconfirmed: true)],
            Deposited = [new MemberDate("HUN", new DateOnly(2024, 2, 27))],
            Counted = [new MemberDate("HUN", new DateOnly(2024, 2, 26))],
            Pending = ["TUR", text],
            ApprovalsImplied = [new MemberDate("USA", new DateOnly(2022, 8, 9))],
            DepositsImplied = [new MemberDate("USA", new DateOnly(2022, 8, 22), Unconfirmed: true)],
            Treaty = text,
            CoCandidates = ["nato/fin"],
            EntryIntoForce = new EntryIntoForceView("nato", new DateOnly(2024, 3, 7), text),
            ActiveVetoes = [new VetoView("HUN", new DateOnly(2023, 3, 1), text, Formal: true, Unconfirmed: true, EndedOn: new DateOnly(2024, 2, 26), EndedBy: text)],
            Vetoes = [new VetoView("TUR", new DateOnly(2022, 5, 18), text, Formal: false, Unconfirmed: false, EndedOn: null, EndedBy: null)],
            Memoranda = [new MemorandumView(new DateOnly(2022, 6, 28), text, ["TUR", "FIN", "SWE"], text, Unconfirmed: true)],
            Entries = 61,
            Version = 9_000_000_000,
        };
        var register = new RatificationRegister
        {
            Id = "nato/swe",
            ProtocolSignedOn = new DateOnly(2022, 7, 5),
            Rows =
            [
                new RegisterRow
                {
                    Member = "HUN", RatifiedOn = new DateOnly(2024, 2, 26), DepositedOn = new DateOnly(2024, 2, 27), RatifiedBy = new DateOnly(2024, 2, 26),
                    DepositedBy = new DateOnly(2024, 2, 27), CountsFrom = new DateOnly(2024, 2, 26), RequiredSince = new DateOnly(2022, 7, 5), Unconfirmed = true,
                    DaysFromSignature = 601, RecordedAt = instant, RecordedBy = text, Source = text,
                    Steps = [new RegisterStep("ratification", new DateOnly(2024, 2, 26), text, Unconfirmed: true, Source: text), new RegisterStep("deposit", new DateOnly(2024, 2, 27), "Washington", false, null)],
                },
                new RegisterRow { Member = "TUR", RequiredSince = new DateOnly(2022, 7, 5), DaysFromSignature = -3 },
            ],
        };
        return (status, register);
    }

    // Instants with every length of fraction (none, one digit to seven) and offsets either side of UTC.
    public static TheoryData<string, DateTimeOffset> TextsAndInstants()
    {
        var data = new TheoryData<string, DateTimeOffset>();
        var instants = new[]
        {
            new DateTimeOffset(2024, 2, 26, 17, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2024, 2, 26, 17, 0, 0, TimeSpan.FromHours(1)).AddTicks(1_000_000),
            new DateTimeOffset(2024, 2, 26, 17, 0, 0, TimeSpan.FromHours(-5)).AddTicks(1_230_000),
            new DateTimeOffset(2024, 2, 26, 17, 0, 0, TimeSpan.FromMinutes(330)).AddTicks(1_234_560),
            new DateTimeOffset(2024, 2, 26, 17, 0, 0, TimeSpan.Zero).AddTicks(1_234_567),
            new DateTimeOffset(1955, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(10),
        };
        var texts = TextValues;
        for (var i = 0; i < Math.Max(texts.Length, instants.Length); i++)
        {
            data.Add(texts[i % texts.Length], instants[i % instants.Length]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(TextsAndInstants))]
    public async Task The_direct_text_of_a_status_and_a_register_is_the_servers_text_of_the_stores_json(string text, DateTimeOffset instant)
    {
        var (status, register) = Full(text, instant);
        var direct = new JsonbDocumentText();
        foreach (var (document, written) in new (object, bool)[] { (status, direct.TryWrite(status)), (register, direct.TryWrite(register)) })
        {
            written.Should().BeTrue();
            var made = document is AccessionStatus s ? Text(direct, s) : Text(direct, (RatificationRegister)document);
            var json = new System.Buffers.ArrayBufferWriter<byte>();
            _host.Store.Options.Serializer().WriteTo(json, document);

            var (printed, digest) = await ServerAsync(json.WrittenSpan.ToArray());

            made.Should().Be(printed);
            SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(made)).Should().Equal(digest);
        }
    }

    private static string Text(JsonbDocumentText direct, AccessionStatus status)
    {
        direct.TryWrite(status).Should().BeTrue();
        return System.Text.Encoding.UTF8.GetString(direct.Written);
    }

    private static string Text(JsonbDocumentText direct, RatificationRegister register)
    {
        direct.TryWrite(register).Should().BeTrue();
        return System.Text.Encoding.UTF8.GetString(direct.Written);
    }

    [Fact]
    public void The_full_documents_set_every_property_so_a_property_the_direct_text_does_not_write_fails_the_comparison()
    {
        // A property added to a document, set here and not written by JsonbDocumentText, makes the test above fail.
        var (status, register) = Full("x", DateTimeOffset.UnixEpoch);
        foreach (var document in new object[] { status, register, status.ActiveVetoes[0], status.Memoranda[0], status.EntryIntoForce!, status.RequiredRatifiers[1], register.Rows[0], register.Rows[0].Steps[0] })
        {
            foreach (var property in document.GetType().GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
            {
                var value = property.GetValue(document);
                value.Should().NotBeNull($"{document.GetType().Name}.{property.Name} is set in the full documents");
                if (value!.GetType().IsValueType)
                {
                    value.Should().NotBe(Activator.CreateInstance(value.GetType()), $"{document.GetType().Name}.{property.Name} is set in the full documents");
                }
                if (value is System.Collections.ICollection list)
                {
                    list.Count.Should().BePositive($"{document.GetType().Name}.{property.Name} is set in the full documents");
                }
            }
        }
    }

    [Fact]
    public async Task A_store_that_writes_documents_otherwise_is_compared_through_its_serializer_and_a_current_document_is_still_not_written()
    {
        // Enums as numbers: the direct text ("stage": "ReadyToAccede") is not this store's, and the rebuild finds that
        // out on the first document.
        using var other = await EnumsAsNumbersAsync();
        foreach (var (store, direct) in new (IDocumentStore, bool)[] { (_host.Store, true), (other, false) })
        {
            var (status, _) = Full("Türkiye's \"hold\"", DateTimeOffset.UnixEpoch);
            var table = new DocumentTable<AccessionStatus>(store, _ => status, compared: true, static (d, text) => text.TryWrite(d));
            var json = new System.Buffers.ArrayBufferWriter<byte>();
            store.Options.Serializer().WriteTo(json, status);
            var jsonb = new JsonbText();
            jsonb.TryWrite(json.WrittenSpan).Should().BeTrue();
            var stored = SHA256.HashData(jsonb.Written);
            var changed = SHA256.HashData("{}"u8);
            var stream = new RebuiltStream("nato/swe", []);

            for (var i = 0; i < JsonbDocumentText.CheckedDocuments + 4; i++)
            {
                var rows = new CopyRows();
                table.WriteRows(stream, rows, stored).Should().BeFalse("the stored document is this store's text of it");
                rows.Count.Should().Be(0);
                table.WriteRows(stream, rows, changed).Should().BeTrue("a stored document that differs is written again");
                rows.Count.Should().Be(1);
            }
            table.WritesDirectText.Should().Be(direct);
        }
    }

    [Fact]
    public async Task The_imports_documents_are_the_jsonb_of_the_stores_json_before_and_after_their_direct_text_is_trusted()
    {
        // Enums as numbers: the direct text ("stage": "ReadyToAccede") is not this store's; its documents keep the
        // serializer's JSON.
        using var other = await EnumsAsNumbersAsync();
        var variants = TextsAndInstants().Select(row => Full((string)row[0], (DateTimeOffset)row[1])).ToList();
        // Past the checks, then every variant again.
        var documents = Enumerable.Range(0, JsonbDocumentText.CheckedDocuments).Select(i => variants[i % variants.Count]).Concat(variants).ToList();
        foreach (var (store, direct) in new (IDocumentStore, bool)[] { (_host.Store, true), (other, false) })
        {
            var bulk = new BulkDocuments(store);
            var buffers = new RatificationLedger.Recording.ImportBuffers();
            using var status = new Utf8Documents(documents.Count, buffers);
            using var register = new Utf8Documents(documents.Count, buffers);

            foreach (var (s, r) in documents)
            {
                bulk.Add(status, s);
                bulk.Add(register, r);
            }

            bulk.WritesDirectText.Should().Be((direct, direct));
            for (var i = 0; i < documents.Count; i++)
            {
                foreach (var (written, document) in new (Utf8Documents, object)[] { (status, documents[i].Status), (register, documents[i].Register) })
                {
                    var json = new System.Buffers.ArrayBufferWriter<byte>();
                    store.Options.Serializer().WriteTo(json, document);
                    var bytes = written.Bytes.Slice(written.At[i] - 1, written.Lengths[i]).ToArray();
                    (await ServerAsync(bytes)).Text.Should().Be((await ServerAsync(json.WrittenSpan.ToArray())).Text, $"document {i} ({document.GetType().Name})");
                    if (!direct || i < JsonbDocumentText.CheckedDocuments)
                    {
                        bytes.Should().Equal(json.WrittenSpan.ToArray(), "the serializer's JSON stands until the direct text is trusted, and for a store it is not");
                    }
                }
            }
        }
    }

    [Fact]
    public async Task Keys_out_of_jsonbs_order_or_json_that_is_not_compact_give_another_text_never_a_false_match()
    {
        // The store writes keys in jsonb's order; JSON in another order or with spaces gives a text that differs from
        // the server's: the rebuild then writes the document again, which is the safe side.
        var jsonb = new JsonbText();
        foreach (var json in new[] { """{"rows":[],"id":"nato/fin"}""", """{"id": "nato/fin","rows":[]}""" })
        {
            jsonb.TryWrite(System.Text.Encoding.UTF8.GetBytes(json)).Should().BeTrue();
            var (printed, _) = await ServerAsync(System.Text.Encoding.UTF8.GetBytes(json));
            System.Text.Encoding.UTF8.GetString(jsonb.Written).Should().NotBe(printed);
        }
        jsonb.TryWrite("{\"id\":\"nato\\u\"}"u8).Should().BeFalse("a broken escape is not JSON");
        jsonb.TryWrite("{\"id\":\"\\uD83D\"}"u8).Should().BeFalse("a lone surrogate is not a character");
        jsonb.TryWrite("{\"id\":\"open"u8).Should().BeFalse("an unclosed string is not JSON");
    }

    // A ledger store whose serializer writes enums as numbers: documents another shape than the direct text's.
    private static async Task<DocumentStore> EnumsAsNumbersAsync()
    {
        var connection = await TestSchemas.ConnectionStringAsync();
        return DocumentStore.For(o =>
        {
            o.Connection(connection);
            o.AddRatificationLedger();
            o.UseSystemTextJsonForSerialization(Weasel.Core.EnumStorage.AsInteger, Weasel.Core.Casing.CamelCase);
        });
    }

    // The server's text of the JSON stored as jsonb, and its SHA-256 as the rebuild's digest query computes it.
    private static async Task<(string Text, byte[] Digest)> ServerAsync(byte[] json)
    {
        await using var connection = new NpgsqlConnection(await TestSchemas.ConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select d::text, sha256(convert_to(d::text, 'UTF8')) from (select convert_from($1, 'UTF8')::jsonb as d) as j", connection);
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = json });
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).Should().BeTrue();
        return (reader.GetString(0), reader.GetFieldValue<byte[]>(1));
    }
}
