using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;
using RatificationLedger.Domain;
using RatificationLedger.Recording;

namespace RatificationLedger.Import;

/// <summary>One entry of a history file: where it stands in the file, the command it asks for, and its provenance.</summary>
/// <param name="Process">The process id.</param>
/// <param name="Index">The entry's index in the process's <c>events</c> array (0-based, as in <c>events[3]</c>).</param>
/// <param name="Type">The entry's <c>type</c> as written in the file.</param>
public sealed record HistoryEntry(string Process, int Index, string Type, AccessionCommand Command, Provenance Provenance)
{
    /// <summary>Where the entry is: e.g. <c>nato/fin events[7] (ratification, 2022-07-20)</c>.</summary>
    public string Location => $"{Process} events[{Index}] ({Type}, {Command.On.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)})";
}

/// <summary>
/// A ledger history file (see docs/import-format.md): an organization and its processes' dated entries.
/// </summary>
/// <remarks>
/// A file read by <see cref="Load"/> or <see cref="Parse"/> is checked whole before it is returned, but its entries are
/// not held as objects: the file keeps its UTF-8 text and, per entry, where it is and its date, and makes an entry's
/// <see cref="HistoryEntry"/> when it is asked for (a million entries are then about 20 bytes each beside the text, not
/// a parsed object graph). See HistoryFile.Reading.cs.
/// </remarks>
public sealed partial record HistoryFile(Organization Organization, IReadOnlyList<HistoryEntry> Entries)
{
    /// <summary>The entries in the order the import applies them: by date across processes, stable.</summary>
    public IReadOnlyList<HistoryEntry> InImportOrder() =>
        Entries is HistoryEntryList list ? list.InImportOrder() : Entries.OrderBy(e => e.Command.On).ToArray();

    /// <summary>Reads and validates a history file. Throws <see cref="HistoryFileException"/> naming what is wrong and where.</summary>
    /// <remarks>
    /// The file is read whole and checked, then its text is let go: each entry is read again from the file when the
    /// import reaches it, through a handle kept open (shared for reading and deletion) until the returned value is
    /// collected. The file must not change while it is imported; an entry found changed is reported as such.
    /// </remarks>
    public static HistoryFile Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new HistoryFileException($"History file '{path}' does not exist.");
        }
        SafeFileHandle handle;
        byte[] bytes;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HistoryFileException($"History file '{path}' cannot be read: {e.Message}", e);
        }
        try
        {
            try
            {
                bytes = ReadAll(handle, path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new HistoryFileException($"History file '{path}' cannot be read: {e.Message}", e);
            }
            return ParseText(bytes, path, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Parses a history file from JSON (UTF-8, with or without a byte order mark).</summary>
    /// <remarks>The stream is read whole, and its text is kept for the entries to be read again when the import reaches them.</remarks>
    public static HistoryFile Parse(Stream json, string name = "history file")
    {
        ArgumentNullException.ThrowIfNull(json);
        return ParseText(ReadAll(json, name), name, null);
    }

    // The text checked as UTF-8 and JSON, then read for its meaning. With a file, the entries are read again from it (the
    // text is not kept); without one, from the text.
    private static HistoryFile ParseText(ReadOnlyMemory<byte> text, string name, SafeFileHandle? file)
    {
        var skipped = 0;
        if (text.Span.StartsWith(Utf8Bom))
        {
            text = text[Utf8Bom.Length..];
            skipped = Utf8Bom.Length;
        }
        // System.Text.Json checks the structure but not the bytes inside strings; bad UTF-8 would surface later as an
        // InvalidOperationException from the middle of an entry.
        try
        {
            _ = s_strictUtf8.GetCharCount(text.Span);
        }
        catch (DecoderFallbackException e)
        {
            throw new HistoryFileException($"{name} is not valid UTF-8 text (invalid byte near offset {e.Index}).", e);
        }
        // The whole text is checked as JSON first, so that a broken file is reported as such wherever the break is,
        // before any part of it is read for its meaning.
        try
        {
            var reader = new Utf8JsonReader(text.Span, s_json);
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            // System.Text.Json counts lines and bytes from 0; people and editors count from 1.
            var where = e.LineNumber is { } line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
            var message = JsonPosition().Replace(e.Message, "");
            throw new HistoryFileException($"{name} is not valid JSON{where}: {message}", e);
        }
        return Read(text, file is null ? new EntryText.InMemory(text) : new EntryText.InFile(file, skipped, name));
    }

    // A file's bytes, read straight into one array.
    private static byte[] ReadAll(SafeFileHandle file, string name)
    {
        var length = RandomAccess.GetLength(file);
        if (length > Array.MaxLength)
        {
            throw new HistoryFileException($"{name} is {length} bytes long; a history file can be at most {Array.MaxLength} bytes.");
        }
        var bytes = GC.AllocateUninitializedArray<byte>((int)length);
        var read = 0;
        while (read < bytes.Length && RandomAccess.Read(file, bytes.AsSpan(read), read) is var n and > 0)
        {
            read += n;
        }
        return read == bytes.Length ? bytes : bytes[..read];
    }

    // The whole stream's bytes: read straight into one array when its length is known (a file), else buffered.
    private static ReadOnlyMemory<byte> ReadAll(Stream json, string name)
    {
        if (json.CanSeek)
        {
            var length = json.Length - json.Position;
            if (length > Array.MaxLength)
            {
                throw new HistoryFileException($"{name} is {length} bytes long; a history file can be at most {Array.MaxLength} bytes.");
            }
            var bytes = new byte[length];
            var read = 0;
            while (read < bytes.Length && json.Read(bytes, read, bytes.Length - read) is var n and > 0)
            {
                read += n;
            }
            return bytes.AsMemory(0, read);
        }
        using var buffer = new MemoryStream();
        json.CopyTo(buffer);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    // Duplicate keys are accepted by the reader and refused by Node.Only, which can name where they are.
    private static readonly JsonReaderOptions s_json = new() { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 16 };

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [GeneratedRegex(@"\s*LineNumber: \d+ \| BytePositionInLine: \d+\.?\s*$")]
    private static partial Regex JsonPosition();
}
