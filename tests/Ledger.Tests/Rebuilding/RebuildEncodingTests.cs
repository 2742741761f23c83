using System.Text;
using FluentAssertions;
using RatificationLedger.Projections;
using RatificationLedger.Projections.Rebuilding;
using Xunit;

namespace RatificationLedger.Tests.Rebuilding;

/// <summary>
/// What the rebuild writes and reads without the database: rows in COPY's binary format (PostgreSQL's documented
/// layout: big-endian lengths, dates in days and timestamps in microseconds from 2000-01-01, jsonb with its version
/// byte), and the unconfirmed header as the server's text, which must say what the document reader says.
/// </summary>
public sealed class RebuildEncodingTests
{
    [Fact]
    public void A_row_is_its_field_count_then_each_field_length_prefixed_in_network_order()
    {
        var rows = new CopyRows();
        rows.StartRow(7);
        rows.Text("nato/fin");
        rows.Null();
        rows.Int64(258);
        rows.Date(new DateOnly(2000, 1, 3));
        rows.Timestamp(new DateTimeOffset(2000, 1, 1, 0, 0, 1, TimeSpan.FromHours(1)));
        rows.Boolean(true);
        rows.Uuid(Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"));

        byte[] expected =
        [
            0, 7,
            0, 0, 0, 8, .. "nato/fin"u8,
            0xff, 0xff, 0xff, 0xff,
            0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 1, 2,
            0, 0, 0, 4, 0, 0, 0, 2,
            // 1999-12-31T23:00:01Z: one hour less a second before the epoch, -3,599,000,000 microseconds.
            0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0x29, 0x7b, 0x9e, 0x40,
            0, 0, 0, 1, 1,
            0, 0, 0, 16, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
        ];
        rows.Written.ToArray().Should().Equal(expected);
        rows.Count.Should().Be(1);
    }

    [Fact]
    public void A_jsonb_field_carries_the_format_version_and_its_length_covers_it()
    {
        var rows = new CopyRows(64);
        var json = "{\"member\":\"" + new string('x', 500) + "\"}";
        rows.Jsonb(w =>
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            bytes.CopyTo(w.GetSpan(bytes.Length));
            w.Advance(bytes.Length);
        });

        var written = rows.Written.ToArray();
        System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(written).Should().Be(json.Length + 1);
        written[4].Should().Be(1);
        Encoding.UTF8.GetString(written, 5, written.Length - 5).Should().Be(json);
    }

    [Fact]
    public void The_file_header_and_trailer_are_postgresqls()
    {
        CopyRows.Header.ToArray().Should().Equal([.. "PGCOPY\n"u8, 0xff, .. "\r\n"u8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        CopyRows.Trailer.ToArray().Should().Equal(0xff, 0xff);
    }

    // The rebuild takes the unconfirmed header as text from the server (headers ->> 'unconfirmed': JSON true gives
    // "true", a string its text, a number its digits, no header null); it must say what the document reader says.
    [Theory]
    [InlineData("""{"unconfirmed":true}""", "true")]
    [InlineData("""{"unconfirmed":false}""", "false")]
    [InlineData("""{"unconfirmed":"True"}""", "True")]
    [InlineData("""{"unconfirmed":" true "}""", " true ")]
    [InlineData("""{"unconfirmed":"no"}""", "no")]
    [InlineData("""{"unconfirmed":1}""", "1")]
    [InlineData("""{"unconfirmed":null}""", null)]
    [InlineData("""{"source":"a"}""", null)]
    public void The_unconfirmed_header_as_the_server_gives_its_text_is_what_the_document_reader_finds(string json, string? text)
    {
        EntryReader.Headers.IsTrue(text).Should().Be(EntryReader.Headers.Parse(json).Unconfirmed);
    }
}
