using RatificationLedger.Integrity;

namespace RatificationLedger.IntegrationTests.Integrity;

/// <summary>
/// Each kind of tampering, done with SQL as another database role, is found with the right process, entry number and
/// kind. Entry numbers come from the rows themselves (e.g. the version of Türkiye's approval of Finland's protocol).
/// </summary>
public sealed class TamperingTests
{
    private const string Fin = "nato/fin";
    private const string Swe = "nato/swe";
    private const string MemberPath = "'{member}'";

    private static async Task<Finding> SingleFindingAsync(TamperedLedger ledger, params LedgerDigest[] digests)
    {
        var report = await ledger.VerifyAsync(digests);
        report.Intact.Should().BeFalse();
        report.Findings.Should().ContainSingle(report.ToString());
        return report.Findings[0];
    }

    [Fact]
    public async Task An_untouched_ledger_verifies_with_its_digest()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var digest = await LedgerIntegrity.TakeDigestAsync(ledger.Host.Store);

        var report = await ledger.VerifyAsync(digest);

        report.Findings.Should().BeEmpty();
        report.StoredDigests.Should().Be(1);
        report.ExternalDigests.Should().Be(1);
        report.Processes.Should().Be(3, "nato/fin, nato/swe and the organization's stream");
    }

    [Fact]
    public async Task Edited_data_is_found()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var entry = await ledger.EntryAsync(Fin, "ratification_approved", "TUR");

        // The falsification of the issue: Türkiye's approval moved from 2023-03-30 to 2022-07-01.
        await ledger.TamperAsync($"update mt_events set data = jsonb_set(data, '{{on}}', '\"2022-07-01\"') where stream_id = '{Fin}' and version = {entry}");

        (await SingleFindingAsync(ledger)).Should().BeEquivalentTo(new { Process = Fin, Entry = entry, Kind = FindingKind.Edited });
    }

    [Fact]
    public async Task An_edited_header_is_found()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var entry = await ledger.EntryAsync(Swe, "ratification_approved", "HUN");

        await ledger.TamperAsync($"update mt_events set headers = jsonb_set(headers, '{{source}}', '\"https://example.org/forged\"') where stream_id = '{Swe}' and version = {entry}");

        (await SingleFindingAsync(ledger)).Should().BeEquivalentTo(new { Process = Swe, Entry = entry, Kind = FindingKind.Edited });
    }

    [Fact]
    public async Task An_edited_timestamp_is_found()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var entry = await ledger.EntryAsync(Fin, "instrument_deposited", "HUN");

        await ledger.TamperAsync($"update mt_events set timestamp = timestamp - interval '1 day' where stream_id = '{Fin}' and version = {entry}");

        (await SingleFindingAsync(ledger)).Should().BeEquivalentTo(new { Process = Fin, Entry = entry, Kind = FindingKind.Edited });
    }

    [Fact]
    public async Task A_rewritten_recorded_by_is_found()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var entry = await ledger.EntryAsync(Swe, "veto_declared", "HUN");

        await ledger.TamperAsync($"update mt_events set user_name = 'someone-else' where stream_id = '{Swe}' and version = {entry}");

        (await SingleFindingAsync(ledger)).Should().BeEquivalentTo(new { Process = Swe, Entry = entry, Kind = FindingKind.Edited });
    }

    [Fact]
    public async Task A_rewritten_writing_role_is_found()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var entry = await ledger.EntryAsync(Fin, "veto_declared", "HUN");

        await ledger.TamperAsync($"update ledger_chain set role = 'app' where stream_id = '{Fin}' and version = {entry}");

        (await SingleFindingAsync(ledger)).Should().BeEquivalentTo(new { Process = Fin, Entry = entry, Kind = FindingKind.Edited });
    }

    [Fact]
    public async Task A_deleted_middle_entry_is_found()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var entry = await ledger.EntryAsync(Swe, "veto_declared", "TUR");

        await ledger.TamperAsync($"delete from mt_events where stream_id = '{Swe}' and version = {entry}");

        (await SingleFindingAsync(ledger)).Should().BeEquivalentTo(new { Process = Swe, Entry = entry, Kind = FindingKind.Deleted });
    }

    [Fact]
    public async Task A_deleted_middle_entry_with_its_link_is_found()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var entry = await ledger.EntryAsync(Swe, "veto_declared", "TUR");

        await ledger.TamperAsync($"delete from mt_events where stream_id = '{Swe}' and version = {entry}; delete from ledger_chain where stream_id = '{Swe}' and version = {entry}");

        (await SingleFindingAsync(ledger)).Should().BeEquivalentTo(new { Process = Swe, Entry = entry, Kind = FindingKind.Deleted });
    }

    [Fact]
    public async Task A_deleted_last_entry_is_found()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var last = await ledger.LastEntryAsync(Fin);

        await ledger.TamperAsync($"delete from mt_events where stream_id = '{Fin}' and version = {last}");

        (await SingleFindingAsync(ledger)).Should().BeEquivalentTo(new { Process = Fin, Entry = last, Kind = FindingKind.Deleted });
    }

    [Fact]
    public async Task A_last_entry_deleted_with_its_link_and_the_stream_version_is_a_rollback_of_the_digest()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var digest = await LedgerIntegrity.TakeDigestAsync(ledger.Host.Store);
        var last = await ledger.LastEntryAsync(Fin);

        await ledger.TamperAsync($"""
            delete from mt_events where stream_id = '{Fin}' and version = {last};
            delete from ledger_chain where stream_id = '{Fin}' and version = {last};
            update mt_streams set version = {last - 1} where id = '{Fin}';
            """);

        (await SingleFindingAsync(ledger, digest)).Should().BeEquivalentTo(new { Process = Fin, Entry = last, Kind = FindingKind.RolledBack });
    }

    [Fact]
    public async Task A_forged_entry_is_found()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var last = await ledger.LastEntryAsync(Swe);

        await ledger.TamperAsync($"""
            insert into mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, headers, user_name, is_archived)
            select nextval('mt_events_sequence'), gen_random_uuid(), stream_id, version + 1, jsonb_set(data, {MemberPath}, '"GRC"'), type, timestamp, tenant_id, mt_dotnet_type, headers, user_name, false
            from mt_events where stream_id = '{Swe}' and version = {last};
            update mt_streams set version = {last + 1} where id = '{Swe}';
            """);

        (await SingleFindingAsync(ledger)).Should().BeEquivalentTo(new { Process = Swe, Entry = last + 1, Kind = FindingKind.Inserted });
    }

    [Fact]
    public async Task A_forged_entry_with_a_recomputed_chain_recorded_before_a_digest_is_backdated()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var digest = await LedgerIntegrity.TakeDigestAsync(ledger.Host.Store);
        var last = await ledger.LastEntryAsync(Swe);

        await ledger.TamperAsync($"""
            insert into mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, headers, user_name, is_archived)
            select nextval('mt_events_sequence'), gen_random_uuid(), stream_id, version + 1, jsonb_set(data, {MemberPath}, '"GRC"'), type, timestamp - interval '1 hour', tenant_id, mt_dotnet_type, headers, user_name, false
            from mt_events where stream_id = '{Swe}' and version = {last};
            update mt_streams set version = {last + 1} where id = '{Swe}';
            """);
        await ledger.RechainAsync(Swe, last + 1);

        (await SingleFindingAsync(ledger)).Should().BeEquivalentTo(new { Process = Swe, Entry = last + 1, Kind = FindingKind.Backdated }, "the ledger's own digest does not cover it");
        await ledger.TamperAsync("delete from ledger_digest");
        (await ledger.VerifyAsync()).Findings.Should().BeEmpty("without a digest, an entry chained as the ledger chains is indistinguishable from a written one");
        (await SingleFindingAsync(ledger, digest)).Should().BeEquivalentTo(new { Process = Swe, Entry = last + 1, Kind = FindingKind.Backdated });
    }

    [Fact]
    public async Task Two_swapped_entries_are_found()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var hungary = await ledger.EntryAsync(Fin, "ratification_approved", "HUN");
        var turkey = await ledger.EntryAsync(Fin, "ratification_approved", "TUR");

        await ledger.TamperAsync($"""
            update mt_events set version = -1 where stream_id = '{Fin}' and version = {hungary};
            update mt_events set version = {hungary} where stream_id = '{Fin}' and version = {turkey};
            update mt_events set version = {turkey} where stream_id = '{Fin}' and version = -1;
            """);

        (await SingleFindingAsync(ledger)).Should().BeEquivalentTo(new { Process = Fin, Entry = Math.Min(hungary, turkey), Kind = FindingKind.Reordered });
    }

    [Fact]
    public async Task A_dropped_stream_is_found_with_the_digest()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var digest = await LedgerIntegrity.TakeDigestAsync(ledger.Host.Store);

        await ledger.TamperAsync($"""
            delete from mt_events where stream_id = '{Swe}';
            delete from ledger_chain where stream_id = '{Swe}';
            delete from mt_streams where id = '{Swe}';
            delete from ledger_digest;
            """);

        (await ledger.VerifyAsync()).Findings.Should().BeEmpty("without any digest the ledger cannot know the process existed");
        (await SingleFindingAsync(ledger, digest)).Should().BeEquivalentTo(new { Process = Swe, Entry = 1L, Kind = FindingKind.Deleted });
    }

    [Fact]
    public async Task A_restored_older_copy_is_a_rollback_of_each_process_the_digest_covers_further()
    {
        // The ledger up to 2023-03-01, copied aside (a backup), then the rest recorded and a digest taken.
        await using var ledger = await TamperedLedger.StartAsync(until: "2023-03-01");
        await ledger.AsOwnerAsync($"""
            create table {ledger.Schema}.backup_events as select * from {ledger.Schema}.mt_events;
            create table {ledger.Schema}.backup_streams as select * from {ledger.Schema}.mt_streams;
            create table {ledger.Schema}.backup_chain as select * from {ledger.Schema}.ledger_chain;
            create table {ledger.Schema}.backup_digest as select * from {ledger.Schema}.ledger_digest;
            grant select on all tables in schema {ledger.Schema} to {TamperedLedger.Role};
            """);
        var finEntries = await ledger.LastEntryAsync(Fin);
        var sweEntries = await ledger.LastEntryAsync(Swe);
        var natoEntries = await ledger.LastEntryAsync("nato");
        await ledger.ImportRestAsync();
        var digest = await LedgerIntegrity.TakeDigestAsync(ledger.Host.Store);

        // The backup restored over the ledger.
        await ledger.TamperAsync("""
            delete from mt_events; delete from mt_streams;
            insert into mt_streams select * from backup_streams; insert into mt_events select * from backup_events;
            delete from ledger_chain; insert into ledger_chain select * from backup_chain;
            delete from ledger_digest; insert into ledger_digest select * from backup_digest;
            """);

        (await ledger.VerifyAsync()).Findings.Should().BeEmpty("the copy is a consistent older ledger");
        var report = await ledger.VerifyAsync(digest);
        report.Findings.Should().BeEquivalentTo(new[]
        {
            // The organization's stream too: Finland's admission (2023-04-04) is gone with the rest.
            new { Process = "nato", Entry = natoEntries + 1, Kind = FindingKind.RolledBack },
            new { Process = Fin, Entry = finEntries + 1, Kind = FindingKind.RolledBack },
            new { Process = Swe, Entry = sweEntries + 1, Kind = FindingKind.RolledBack },
        });
    }

    [Fact]
    public async Task An_entry_rewritten_with_every_hash_after_it_recomputed_is_found_with_the_digest()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        var digest = await LedgerIntegrity.TakeDigestAsync(ledger.Host.Store);
        var entry = await ledger.EntryAsync(Fin, "ratification_approved", "TUR");
        var last = await ledger.LastEntryAsync(Fin);

        await ledger.TamperAsync($"update mt_events set data = jsonb_set(data, '{{on}}', '\"2022-07-01\"') where stream_id = '{Fin}' and version = {entry}");
        await ledger.RechainAsync(Fin, entry);
        await ledger.TamperAsync("delete from ledger_digest");

        (await ledger.VerifyAsync()).Findings.Should().BeEmpty("the chain was recomputed and the stored digests removed");
        var finding = await SingleFindingAsync(ledger, digest);
        finding.Should().BeEquivalentTo(new { Process = Fin, Entry = last, Kind = FindingKind.Edited });
        finding.Message.Should().Contain($"from 1 to {last}", "one chain head cannot say which entry before it was rewritten");
    }

    [Fact]
    public async Task An_altered_stored_digest_is_found()
    {
        await using var ledger = await TamperedLedger.StartAsync();
        await LedgerIntegrity.TakeDigestAsync(ledger.Host.Store);
        await LedgerIntegrity.TakeDigestAsync(ledger.Host.Store);

        await ledger.TamperAsync("update ledger_digest set taken_at = taken_at - interval '1 day' where number = 1");

        (await SingleFindingAsync(ledger)).Should().BeEquivalentTo(new { Process = (string?)null, Entry = 1L, Kind = FindingKind.Edited });
    }
}
