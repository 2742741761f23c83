namespace RatificationLedger.Recording;

/// <summary>
/// A faster way to an answer the store's serializer also gives (the rebuild's direct event reader and direct document
/// text, the import's and the rebuild's direct event and document JSON), trusted only once its first answers equalled the serializer's, and never again once one did not: a store
/// configured otherwise keeps the serializer's path. Shared by the threads that use it.
/// </summary>
internal sealed class CheckedShortcut(int checks)
{
    private int _matched;
    private volatile bool _refused;

    /// <summary>Whether the shortcut may still be tried: false once an answer of it differed from the serializer's.</summary>
    public bool Usable => !_refused;

    /// <summary>Whether its answer stands alone: enough of its answers matched and none differed.</summary>
    public bool Trusted => !_refused && Volatile.Read(ref _matched) >= checks;

    /// <summary>Counts one answer checked against the serializer's: equal, or not (then the shortcut is refused).</summary>
    public void Checked(bool matched)
    {
        if (matched)
        {
            Interlocked.Increment(ref _matched);
        }
        else
        {
            _refused = true;
        }
    }
}
