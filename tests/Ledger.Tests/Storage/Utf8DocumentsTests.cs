using System.Text;
using FluentAssertions;
using Marten.Services;
using RatificationLedger.Projections;
using RatificationLedger.Recording;
using Xunit;

namespace RatificationLedger.Tests.Storage;

/// <summary>
/// The import's view documents as the bulk upsert sends them: serialized one after the other into one growing array,
/// each at the 1-based place SQL's <c>substring</c> cuts it from. Every document's bytes must be the serializer's JSON of
/// it, however often the array grew, and a batch with a document missing must not be sent.
/// </summary>
public sealed class Utf8DocumentsTests
{
    private sealed record Doc(string Id, string Text);

    [Fact]
    public void Documents_written_into_a_growing_array_are_each_at_their_place_and_the_serializer_s_json()
    {
        var serializer = new SystemTextJsonSerializer();
        // Sizes from nothing to far beyond the array's first 64 KiB (which then grows, more than once), with two-byte and
        // three-byte characters.
        Doc[] docs =
        [
            new("nato/fin", "Türkiye approved on 2023-03-30"),
            new("nato/swe", new string('ő', 40_000)),
            new("nato/mkd", ""),
            new("nato/mne", string.Concat(Enumerable.Repeat("Magyarország – ", 80_000))),
            new("eu/hrv", "€"),
        ];
        using var documents = new Utf8Documents(docs.Length, new ImportBuffers());
        foreach (var doc in docs)
        {
            documents.Add(serializer, doc);
        }

        var bytes = documents.Bytes.ToArray();
        var expected = docs.Select(d => Encoding.UTF8.GetBytes(serializer.ToJson(d))).ToArray();
        documents.Lengths.Should().Equal(expected.Select(e => e.Length));
        bytes.Length.Should().Be(expected.Sum(e => e.Length));
        documents.Written.Should().Be(bytes.Length);
        var place = 1;
        for (var i = 0; i < docs.Length; i++)
        {
            documents.At[i].Should().Be(place, $"document {i} follows the ones before it");
            bytes.AsSpan(documents.At[i] - 1, documents.Lengths[i]).ToArray().Should().Equal(expected[i], $"document {i} is {docs[i].Id}'s JSON");
            place += expected[i].Length;
        }
    }

    [Fact]
    public void A_batch_with_a_document_missing_is_an_error_not_an_empty_document()
    {
        var serializer = new SystemTextJsonSerializer();
        using var documents = new Utf8Documents(2, new ImportBuffers());
        documents.Add(serializer, new Doc("nato/swe", "x"));

        var send = () => documents.Bytes;

        send.Should().Throw<InvalidOperationException>().WithMessage("*Document 1 of 2*");
    }

    [Fact]
    public void More_documents_than_the_batch_holds_is_an_error()
    {
        var serializer = new SystemTextJsonSerializer();
        using var documents = new Utf8Documents(1, new ImportBuffers());
        documents.Add(serializer, new Doc("nato/fin", "x"));

        Action add = () => documents.Add(serializer, new Doc("nato/swe", "y"));

        add.Should().Throw<InvalidOperationException>().WithMessage("*1 documents expected*");
    }
}
