using System.Data.Common;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;

namespace RatificationLedger.Integrity;

/// <summary>
/// What the server does for the chain, as one schema object created with the evidence tables and missing in Marten's
/// schema check when someone dropped part of it:
/// <list type="bullet">
/// <item><c>ledger_recorded_at</c>: a <c>BEFORE INSERT</c> trigger on the event table that makes every entry's
/// recorded-at the transaction's timestamp (the server's clock) whatever the client sent; its <c>WHEN</c> clause leaves
/// rows that already carry it (the COPY path writes it) untouched, at no cost.</item>
/// <item><c>ledger_chain_appended(streams, counts, data, headers)</c>: chains, in the calling transaction, the entries
/// just appended to each stream. Marten's append path queues one call after its appends in its own batch (no round
/// trip of its own). The entry hash is built from the row as stored (stream, version, stored name, recorded-by,
/// correlation, causation, recorded-at, and the writing role, <c>current_user</c>); only the canonical (RFC 8785) form
/// of each event's data and headers comes from the client, which serialized them (PostgreSQL has no RFC 8785 number
/// form). JSON strings are written with <c>to_json</c>, whose escapes are exactly RFC 8785's (the two-character escapes
/// and lowercase <c>\u00xx</c> for other control characters; nothing else escaped). Used when the writer does not
/// know its entries' versions, recorded-at or role before the write (an app's append without an expected version).</item>
/// <item><c>ledger_chain_link(stream, version, role, entry)</c> (<see cref="LinkSql"/>): the link of one entry whose
/// entry hash the writer computed (it knows the versions, the transaction's time and role, read in its transaction:
/// the recorder's appends), chained on the server to the link before it, so the writer reads nothing for it; an entry
/// whose predecessor has no link (entries written without the chain in between) is refused naming the stream.</item>
/// <item><c>ledger_facts(organization, stream, version)</c> (<see cref="ServerClock.FactsSql"/>): the transaction's
/// time and role with the states the recorder checks, in one statement (prepared, when it is the only read), and the
/// chain hash of the stream's link at that version, from which the recorder chains the entries it appends after it
/// itself (<see cref="AppendLinkSql"/>).</item>
/// </list>
/// The last two are functions rather than statements the client sends for the plan the server keeps per connection:
/// a command's transaction sends each once, and planning them every time cost more than running them.
/// </summary>
internal sealed class ServerChain(string schema) : ISchemaObjectWithDependencies
{
    public const string ChainFunction = "ledger_chain_appended";
    public const string ClockFunction = "ledger_recorded_at";
    public const string ClockTrigger = "ledger_recorded_at";
    public const string LinkFunction = "ledger_chain_link";
    public const string GapFunction = "ledger_chain_gap";
    public const string FactsFunction = "ledger_facts";

    // Changed whenever a function's body changes, so that the schema check replaces an older body. (The LIMITs make the
    // planner take the (stream, version) indexes even when its statistics say the tables are tiny, as after a wipe.)
    private const string Revision = "ledger-chain-9";

    public DbObjectName Identifier { get; } = new PostgresqlObjectName(schema, ChainFunction, SchemaUtils.IdentifierUsage.General);

    public IEnumerable<DbObjectName> DependsOn =>
        new[] { "mt_events", "mt_streams", IntegritySchema.ChainTable }.Select(t => (DbObjectName)new PostgresqlObjectName(schema, t, SchemaUtils.IdentifierUsage.General));

    /// <summary>The call Marten's append path queues: streams, event counts per stream, then data and headers in order.</summary>
    public static string Call(string schema) => $"select {schema}.{ChainFunction}(?::varchar[], ?::integer[], ?::text[], ?::text[])";

    /// <summary>
    /// Inserts the link of one entry (parameters: stream, version, role, entry hash) chained to the stream's link before
    /// it, or to the stream's genesis for its first entry; an entry whose predecessor has no link is refused.
    /// </summary>
    public static string LinkSql(string schema) => $"select {schema}.{LinkFunction}(?::varchar, ?::bigint, ?::text, ?::bytea)";

    /// <summary>
    /// Inserts the link of one entry whose chain hash the writer computed from the link before it, read in the same
    /// transaction (parameters: stream, version, role, entry hash, chain hash). The append before it, at the version the
    /// link was read at, fails if anything was appended since, so the link read is the stream's last.
    /// </summary>
    public static string AppendLinkSql(string schema) =>
        $"insert into {schema}.{IntegritySchema.ChainTable} (stream_id, version, role, entry_hash, chain_hash) values (?, ?, ?, ?, ?)";

    /// <summary>
    /// The facts' row as one SQL expression over the organization's key, a process stream's key and a version (see
    /// <see cref="ServerClock.FactsSql"/>): the body of <c>ledger_facts</c>, and the recorder's prepared statement itself
    /// (<see cref="ServerClock.FactsCommandSql"/>), which the server plans once per connection without the function
    /// call's own cost (a PL/pgSQL call runs its expression through the executor again: in our runs about two thirds of
    /// the function's time).
    /// </summary>
    internal static string FactsExpression(string schema, string organization, string stream, string version)
    {
        var streams = $"{schema}.{Storage.StorageNames.Streams}";
        var events = $"{schema}.{Storage.StorageNames.Events}";
        var chain = $"{schema}.{IntegritySchema.ChainTable}";
        return $"{ServerClock.MicrosOf("transaction_timestamp()")} || ','"
            + $" || CASE WHEN {organization} = '' THEN ','"
            + $" ELSE coalesce((SELECT s.version::text || ',' || coalesce({ServerClock.MicrosOf("s.created")}, '') FROM {streams} s WHERE s.id = {organization}), ',') END"
            + " || ','"
            + $" || CASE WHEN {stream} = '' THEN ',,'"
            + $" ELSE coalesce((SELECT s.version::text FROM {streams} s WHERE s.id = {stream}), '') || ','"
            + $" || coalesce((SELECT e.id::text FROM {events} e WHERE e.stream_id = {stream} AND e.version = {version}), '') || ','"
            + $" || coalesce((SELECT encode(c.chain_hash, 'hex') FROM {chain} c WHERE c.stream_id = {stream} AND c.version = {version}), '') END"
            + " || ',' || current_user::text";
    }

    public void WriteCreateStatement(Migrator migrator, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var events = $"{schema}.mt_events";
        writer.WriteLine($"CREATE OR REPLACE FUNCTION {schema}.{ClockFunction}() RETURNS trigger LANGUAGE plpgsql AS $clock$");
        writer.WriteLine($"BEGIN -- {Revision}: recorded-at is the server's transaction time, never the client's");
        writer.WriteLine("  NEW.timestamp := transaction_timestamp();");
        writer.WriteLine("  RETURN NEW;");
        writer.WriteLine("END $clock$;");
        writer.WriteLine($"DROP TRIGGER IF EXISTS {ClockTrigger} ON {events};");
        writer.WriteLine($"CREATE TRIGGER {ClockTrigger} BEFORE INSERT ON {events} FOR EACH ROW WHEN (NEW.timestamp IS DISTINCT FROM transaction_timestamp()) EXECUTE FUNCTION {schema}.{ClockFunction}();");

        var chain = $"{schema}.{IntegritySchema.ChainTable}";
        writer.WriteLine($"CREATE OR REPLACE FUNCTION {schema}.{GapFunction}(p_stream varchar, p_version bigint) RETURNS bytea LANGUAGE plpgsql AS $gap$");
        writer.WriteLine($"BEGIN -- {Revision}: an entry appended after entries written without the chain");
        writer.WriteLine("  RAISE EXCEPTION 'ledger: %: 1 entries appended, but entry % before it is not chained: entries written without the chain are in between (open the ledger with the library once, which chains them on upgrade)', p_stream, p_version - 1");
        writer.WriteLine("    USING ERRCODE = 'data_exception';");
        writer.WriteLine("END $gap$;");
        writer.WriteLine($"CREATE OR REPLACE FUNCTION {schema}.{LinkFunction}(p_stream varchar, p_version bigint, p_role text, p_entry bytea) RETURNS void LANGUAGE plpgsql AS $link$");
        writer.WriteLine($"BEGIN -- {Revision}: the link of an entry hashed by the writer (one statement: one plan)");
        writer.WriteLine($"  INSERT INTO {chain} (stream_id, version, role, entry_hash, chain_hash) VALUES (p_stream, p_version, p_role, p_entry, sha256('\\x01'::bytea");
        writer.WriteLine($"    || coalesce((SELECT c.chain_hash FROM {chain} c WHERE c.stream_id = p_stream AND c.version = p_version - 1),");
        writer.WriteLine($"         CASE WHEN p_version = 1 THEN sha256(convert_to(p_stream, 'UTF8')) ELSE {schema}.{GapFunction}(p_stream, p_version) END)");
        writer.WriteLine("    || p_entry));");
        writer.WriteLine("END $link$;");

        writer.WriteLine($"CREATE OR REPLACE FUNCTION {schema}.{FactsFunction}(p_organization varchar, p_stream varchar, p_version bigint) RETURNS text LANGUAGE plpgsql AS $facts$");
        writer.WriteLine($"BEGIN -- {Revision}: micros,organization version,organization created,stream version,stream event id,stream chain hash,role (one expression: one plan)");
        writer.WriteLine($"  RETURN {FactsExpression(schema, "p_organization", "p_stream", "p_version")};");
        writer.WriteLine("END $facts$;");

        writer.WriteLine($"CREATE OR REPLACE FUNCTION {schema}.{ChainFunction}(streams varchar[], counts integer[], data text[], headers text[]) RETURNS integer LANGUAGE plpgsql AS $chain$");
        writer.WriteLine("DECLARE");
        writer.WriteLine("  role_json text := to_json(current_user::text)::text;");
        writer.WriteLine("  done integer := 0;");
        writer.WriteLine("  s integer;");
        writer.WriteLine("  last_version bigint;");
        writer.WriteLine("  previous bytea;");
        writer.WriteLine("  first integer;");
        writer.WriteLine("  stream_json text;");
        writer.WriteLine("  entry bytea;");
        writer.WriteLine("  r record;");
        writer.WriteLine($"BEGIN -- {Revision}");
        writer.WriteLine("  IF coalesce(array_length(streams, 1), 0) <> coalesce(array_length(counts, 1), 0) OR coalesce(array_length(data, 1), 0) <> coalesce(array_length(headers, 1), 0) THEN");
        writer.WriteLine("    RAISE EXCEPTION 'ledger: the chain call got % streams with % counts, % data with % headers', array_length(streams, 1), array_length(counts, 1), array_length(data, 1), array_length(headers, 1);");
        writer.WriteLine("  END IF;");
        writer.WriteLine("  FOR s IN 1 .. coalesce(array_length(streams, 1), 0) LOOP");
        writer.WriteLine($"    SELECT c.version, c.chain_hash INTO last_version, previous FROM {schema}.{IntegritySchema.ChainTable} c WHERE c.stream_id = streams[s] ORDER BY c.version DESC LIMIT 1;");
        writer.WriteLine("    IF NOT FOUND THEN");
        writer.WriteLine("      last_version := 0;");
        writer.WriteLine("      previous := sha256(convert_to(streams[s], 'UTF8'));");
        writer.WriteLine("    END IF;");
        writer.WriteLine("    stream_json := to_json(streams[s])::text;");
        writer.WriteLine("    first := done;");
        writer.WriteLine($"    FOR r IN SELECT e.version, e.type, e.user_name, e.correlation_id, e.causation_id, e.timestamp FROM {events} e WHERE e.stream_id = streams[s] AND e.version > last_version ORDER BY e.version LIMIT counts[s] + 1 LOOP");
        writer.WriteLine("      done := done + 1;");
        writer.WriteLine("      EXIT WHEN done - first > counts[s];");
        writer.WriteLine("      entry := sha256(decode('00', 'hex') || convert_to(");
        writer.WriteLine("        '{\"causation\":' || coalesce(to_json(r.causation_id)::text, 'null')");
        writer.WriteLine("        || ',\"correlation\":' || coalesce(to_json(r.correlation_id)::text, 'null')");
        writer.WriteLine("        || ',\"data\":' || data[done]");
        writer.WriteLine("        || ',\"headers\":' || headers[done]");
        writer.WriteLine("        || ',\"recordedAt\":\"' || to_char(r.timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        writer.WriteLine("        || '\",\"recordedBy\":' || coalesce(to_json(r.user_name)::text, 'null')");
        writer.WriteLine("        || ',\"role\":' || role_json");
        writer.WriteLine("        || ',\"stream\":' || stream_json");
        writer.WriteLine("        || ',\"type\":' || to_json(r.type)::text");
        writer.WriteLine("        || ',\"version\":' || r.version::text || '}', 'UTF8'));");
        writer.WriteLine("      previous := sha256(decode('01', 'hex') || previous || entry);");
        writer.WriteLine($"      INSERT INTO {schema}.{IntegritySchema.ChainTable} (stream_id, version, role, entry_hash, chain_hash) VALUES (streams[s], r.version, current_user, entry, previous);");
        writer.WriteLine("    END LOOP;");
        writer.WriteLine("    IF done - first <> counts[s] THEN");
        writer.WriteLine("      RAISE EXCEPTION 'ledger: %: % entries appended, but not that many follow chained entry %: entries written without the chain are in between (open the ledger with the library once, which chains them on upgrade)', streams[s], counts[s], last_version");
        writer.WriteLine("        USING ERRCODE = 'data_exception';");
        writer.WriteLine("    END IF;");
        writer.WriteLine("  END LOOP;");
        writer.WriteLine("  IF done <> coalesce(array_length(data, 1), 0) THEN");
        writer.WriteLine("    RAISE EXCEPTION 'ledger: % entries chained for % events appended', done, coalesce(array_length(data, 1), 0) USING ERRCODE = 'data_exception';");
        writer.WriteLine("  END IF;");
        writer.WriteLine("  RETURN done;");
        writer.WriteLine("END $chain$;");
    }

    public void WriteDropStatement(Migrator rules, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine($"DROP TRIGGER IF EXISTS {ClockTrigger} ON {schema}.mt_events;");
        writer.WriteLine($"DROP FUNCTION IF EXISTS {schema}.{ClockFunction}();");
        writer.WriteLine($"DROP FUNCTION IF EXISTS {schema}.{ChainFunction}(varchar[], integer[], text[], text[]);");
        writer.WriteLine($"DROP FUNCTION IF EXISTS {schema}.{LinkFunction}(varchar, bigint, text, bytea);");
        writer.WriteLine($"DROP FUNCTION IF EXISTS {schema}.{GapFunction}(varchar, bigint);");
        writer.WriteLine($"DROP FUNCTION IF EXISTS {schema}.{FactsFunction}(varchar, varchar, bigint);");
    }

    public void ConfigureQueryCommand(Weasel.Core.DbCommandBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append("select (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = ");
        builder.AppendParameter(schema);
        builder.Append($" and p.proname in ('{ChainFunction}', '{ClockFunction}', '{LinkFunction}', '{GapFunction}', '{FactsFunction}') and p.prosrc like '%{Revision}%')");
        builder.Append(" + (select count(*) from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = ");
        builder.AppendParameter(schema);
        builder.Append($" and c.relname = 'mt_events' and t.tgname = '{ClockTrigger}' and t.tgenabled <> 'D');");
    }

    public async Task<ISchemaObjectDelta> CreateDeltaAsync(DbDataReader reader, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var present = await reader.ReadAsync(ct).ConfigureAwait(false) ? Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture) : 0;
        return new SchemaObjectDelta(this, present == 6 ? SchemaPatchDifference.None : SchemaPatchDifference.Create);
    }

    public IEnumerable<DbObjectName> AllNames()
    {
        yield return Identifier;
        yield return new PostgresqlObjectName(schema, ClockFunction, SchemaUtils.IdentifierUsage.General);
        yield return new PostgresqlObjectName(schema, LinkFunction, SchemaUtils.IdentifierUsage.General);
        yield return new PostgresqlObjectName(schema, GapFunction, SchemaUtils.IdentifierUsage.General);
        yield return new PostgresqlObjectName(schema, FactsFunction, SchemaUtils.IdentifierUsage.General);
    }
}
