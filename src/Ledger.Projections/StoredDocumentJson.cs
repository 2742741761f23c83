using System.Collections;
using System.Text.Json.Serialization.Metadata;
using Marten;
using Marten.Services;

namespace RatificationLedger.Projections;

/// <summary>
/// The read models' documents as stored: a null value, a false flag and an empty list are left out (they read back as
/// the same: the property's default, or the list a document starts with). A register or status document is written at
/// every change of its process and parsed by the server into <c>jsonb</c> each time, and about a sixth of a register's
/// JSON and a third of a status's were such values. Only the store's serializer is changed, and only for these types:
/// the events' JSON (which the hash chain covers and the golden-file tests pin) and any other serialization of the
/// same types (an app's API) are left as they are.
/// </summary>
internal static class StoredDocumentJson
{
    // The read models and the records they hold. Lists are left out only where the type sets them on creation (a
    // class's settable List<T> with an initializer): a positional record's missing list would read back as null.
    private static readonly HashSet<Type> Trimmed =
    [
        typeof(AccessionStatus), typeof(MemberDate), typeof(EntryIntoForceView), typeof(VetoView), typeof(MemorandumView),
        typeof(RatificationRegister), typeof(RegisterRow), typeof(RegisterStep),
        typeof(MemberRecord), typeof(MemberRatification), typeof(MemberVeto),
    ];

    /// <summary>Applies the trimming to <paramref name="store"/>'s serializer (System.Text.Json, as the ledger configures it).</summary>
    public static void Apply(StoreOptions store)
    {
        if (store.Serializer() is SystemTextJsonSerializer json)
        {
            json.Configure(o => o.TypeInfoResolver = (o.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(Trim));
        }
    }

    /// <summary>Leaves out, for the types above, the values that read back as the same when missing.</summary>
    internal static void Trim(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object || !Trimmed.Contains(info.Type))
        {
            return;
        }
        var positional = info.CreateObject is null;
        foreach (var property in info.Properties)
        {
            var type = property.PropertyType;
            if (type == typeof(bool))
            {
                property.ShouldSerialize = static (_, value) => value is true;
            }
            else if (Nullable.GetUnderlyingType(type) is not null || type == typeof(string))
            {
                property.ShouldSerialize = static (_, value) => value is not null;
            }
            else if (!positional && type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
            {
                property.ShouldSerialize = static (_, value) => value is ICollection { Count: > 0 };
            }
        }
    }
}
