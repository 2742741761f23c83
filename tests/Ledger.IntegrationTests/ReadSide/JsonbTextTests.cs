using System.Security.Cryptography;
using Marten;
using Npgsql;
using RatificationLedger.IntegrationTests.Support;
using RatificationLedger.Projections;
using RatificationLedger.Projections.Rebuilding;

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
    public static TheoryData<string> Texts =>
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
