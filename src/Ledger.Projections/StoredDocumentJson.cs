using System.Text;
using System.Text.Json.Serialization.Metadata;
using Marten;
using Marten.Services;

namespace RatificationLedger.Projections;

/// <summary>
/// The read models' documents as the store serializes them: each object's properties in the order PostgreSQL's
/// <c>jsonb</c> keeps and prints an object's keys (shorter keys first, keys of one length by their bytes). What is
/// stored does not change (the server sorts the keys whatever their order); what it gives is that the JSON the store
/// writes differs from the stored document's text (<c>data::text</c>) only in spacing and escapes
/// (<see cref="Rebuilding.JsonbText"/>), so a rebuild can tell a document it would write from the one stored by digest
/// and leave the unchanged ones alone. Only the order is set, once per type: no cost per value. The events' JSON
/// (which the hash chain covers and the golden-file tests pin) and any other serializer are left as they are.
/// </summary>
internal static class StoredDocumentJson
{
    /// <summary>Applies the order to <paramref name="store"/>'s serializer (System.Text.Json, as the ledger configures it).</summary>
    public static void Apply(StoreOptions store)
    {
        if (store.Serializer() is SystemTextJsonSerializer json)
        {
            json.Configure(o => o.TypeInfoResolver = (o.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(InJsonbOrder));
        }
    }

    /// <summary>For the read models' types (this assembly's), each property's <see cref="JsonPropertyInfo.Order"/> is its key's place in <c>jsonb</c>'s order.</summary>
    internal static void InJsonbOrder(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object || info.Type.Assembly != typeof(StoredDocumentJson).Assembly)
        {
            return;
        }
        var names = info.Properties.Select(p => p.Name).ToArray();
        Array.Sort(names, JsonbKeyOrder);
        foreach (var property in info.Properties)
        {
            property.Order = Array.IndexOf(names, property.Name);
        }
    }

    /// <summary><c>jsonb</c>'s order of keys: by length in UTF-8 bytes, then byte by byte.</summary>
    internal static int JsonbKeyOrder(string? a, string? b)
    {
        var x = Encoding.UTF8.GetBytes(a ?? "");
        var y = Encoding.UTF8.GetBytes(b ?? "");
        return x.Length != y.Length ? x.Length.CompareTo(y.Length) : x.AsSpan().SequenceCompareTo(y);
    }
}
