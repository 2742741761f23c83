using System.Text;
using FluentAssertions;
using Marten.Services;
using RatificationLedger.Projections;
using RatificationLedger.Recording;
using Xunit;

namespace RatificationLedger.Tests.Storage;

/// <summary>
/// The import's view documents as the bulk upsert sends them: serialized on several threads' buffers in any order, then
/// joined into one array in document order, each at the 1-based place SQL's <c>substring</c> cuts it from. Every
/// document's bytes must be the serializer's JSON of it, whatever buffer it was written into and however often that
/// buffer grew.
/// </summary>
public sealed class Utf8DocumentsTests
{
    private sealed record Doc(string Id, string Text);

    [Fact]
    public void Documents_written_into_two_growing_buffers_out_of_order_join_in_order_each_at_its_place()
    {
        var serializer = new SystemTextJsonSerializer();
        // Sizes from nothing to beyond a buffer's first megabyte (which then grows), with two-byte and three-byte characters.
        Doc[] docs =
        [
            new("nato/fin", "Türkiye approved on 2023-03-30"),
            new("nato/swe", new string('ő', 40_000)),
            new("nato/mkd", ""),
            new("nato/mne", string.Concat(Enumerable.Repeat("Magyarország – ", 80_000))),
            new("eu/hrv", "€"),
        ];
        var buffers = new ImportBuffers();
        var documents = new Utf8Documents(docs.Length);
        using var first = new Utf8Documents.Part(buffers);
        using var second = new Utf8Documents.Part(buffers);
        foreach (var i in new[] { 3, 0, 4, 1, 2 })
        {
            documents.Add(i, i % 2 == 0 ? first : second, serializer, docs[i]);
        }

        var joined = documents.Join(buffers);
        try
        {
            var bytes = joined.Bytes.ToArray();
            var expected = docs.Select(d => Encoding.UTF8.GetBytes(serializer.ToJson(d))).ToArray();
            joined.Lengths.Should().Equal(expected.Select(e => e.Length));
            bytes.Length.Should().Be(expected.Sum(e => e.Length));
            var place = 1;
            for (var i = 0; i < docs.Length; i++)
            {
                joined.At[i].Should().Be(place, $"document {i} follows the ones before it");
                bytes.AsSpan(joined.At[i] - 1, joined.Lengths[i]).ToArray().Should().Equal(expected[i], $"document {i} is {docs[i].Id}'s JSON");
                place += expected[i].Length;
            }
        }
        finally
        {
            joined.Release();
        }
    }

    [Fact]
    public void A_document_never_serialized_is_an_error_not_an_empty_one()
    {
        var serializer = new SystemTextJsonSerializer();
        var buffers = new ImportBuffers();
        var documents = new Utf8Documents(2);
        using var part = new Utf8Documents.Part(buffers);
        documents.Add(1, part, serializer, new Doc("nato/swe", "x"));

        var join = () => documents.Join(buffers);

        join.Should().Throw<InvalidOperationException>().WithMessage("*Document 0 of 2*");
    }
}
