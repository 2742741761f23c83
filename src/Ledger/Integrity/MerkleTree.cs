using System.Security.Cryptography;

namespace RatificationLedger.Integrity;

/// <summary>
/// The Merkle tree hash of RFC 6962 section 2.1: <c>MTH({}) = SHA-256()</c>, a leaf <c>SHA-256(0x00 || d)</c>, a node
/// <c>SHA-256(0x01 || left || right)</c>, the left subtree holding the largest power of two smaller than the count;
/// and its audit paths (section 2.1.1).
/// </summary>
public static class MerkleTree
{
    /// <summary>The leaf hash of <paramref name="leaf"/>.</summary>
    public static byte[] LeafHash(ReadOnlySpan<byte> leaf) => LedgerHash.Prefixed(0x00, leaf, []);

    /// <summary>The root over the leaves' data, in order.</summary>
    public static byte[] Root(IReadOnlyList<byte[]> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        if (leaves.Count == 0)
        {
            return SHA256.HashData([]);
        }
        var hashes = leaves.Select(l => LeafHash(l)).ToArray();
        return Subtree(hashes, 0, hashes.Length);
    }

    /// <summary>The audit path of leaf <paramref name="index"/>: the sibling hashes from the leaf up to the root.</summary>
    public static IReadOnlyList<byte[]> AuditPath(IReadOnlyList<byte[]> leaves, int index)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, leaves.Count);
        var hashes = leaves.Select(l => LeafHash(l)).ToArray();
        var path = new List<byte[]>();
        Path(hashes, 0, hashes.Length, index, path);
        return path;
    }

    /// <summary>
    /// Whether <paramref name="leaf"/> at <paramref name="index"/> of a tree of <paramref name="size"/> leaves, with
    /// <paramref name="path"/>, gives <paramref name="root"/> (RFC 9162 section 2.1.3.2, the same tree as RFC 6962).
    /// </summary>
    public static bool VerifyInclusion(ReadOnlySpan<byte> leaf, long index, long size, IReadOnlyList<byte[]> path, ReadOnlySpan<byte> root)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (index < 0 || index >= size)
        {
            return false;
        }
        var fn = index;
        var sn = size - 1;
        var r = LeafHash(leaf);
        foreach (var p in path)
        {
            if (p.Length != LedgerHash.Size || sn == 0)
            {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn)
            {
                r = LedgerHash.Prefixed(0x01, p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = LedgerHash.Prefixed(0x01, r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r.AsSpan().SequenceEqual(root);
    }

    private static byte[] Subtree(byte[][] hashes, int start, int count)
    {
        if (count == 1)
        {
            return hashes[start];
        }
        var k = Split(count);
        return LedgerHash.Prefixed(0x01, Subtree(hashes, start, k), Subtree(hashes, start + k, count - k));
    }

    private static void Path(byte[][] hashes, int start, int count, int index, List<byte[]> path)
    {
        if (count == 1)
        {
            return;
        }
        var k = Split(count);
        if (index < k)
        {
            Path(hashes, start, k, index, path);
            path.Add(Subtree(hashes, start + k, count - k));
        }
        else
        {
            Path(hashes, start + k, count - k, index - k, path);
            path.Add(Subtree(hashes, start, k));
        }
    }

    // The largest power of two smaller than count (count > 1).
    private static int Split(int count)
    {
        var k = 1;
        while (k * 2 < count)
        {
            k *= 2;
        }
        return k;
    }
}
