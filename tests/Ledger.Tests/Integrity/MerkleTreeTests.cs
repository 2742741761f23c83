using System.Security.Cryptography;
using RatificationLedger.Integrity;

namespace RatificationLedger.Tests.Integrity;

/// <summary>
/// The RFC 6962 tree against the test vectors of the Certificate Transparency reference code (leaves "", 00, 10, 2021,
/// 3031, 40414243, 5051..57, 6061..6f; roots of the first 1 to 8 leaves).
/// </summary>
public sealed class MerkleTreeTests
{
    private static readonly byte[][] Leaves =
    [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
    ];

    private static readonly string[] Roots =
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    [Fact]
    public void The_empty_tree_is_the_hash_of_nothing()
    {
        Convert.ToHexStringLower(MerkleTree.Root([])).Should().Be("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Roots_are_the_reference_roots(int size)
    {
        Convert.ToHexStringLower(MerkleTree.Root(Leaves[..size])).Should().Be(Roots[size - 1]);
    }

    [Fact]
    public void Every_audit_path_leads_to_the_reference_root_and_no_other_leaf_place_or_path_does()
    {
        for (var size = 1; size <= 8; size++)
        {
            var root = Convert.FromHexString(Roots[size - 1]);
            for (var i = 0; i < size; i++)
            {
                var path = MerkleTree.AuditPath(Leaves[..size], i);
                MerkleTree.VerifyInclusion(Leaves[i], i, size, path, root).Should().BeTrue($"leaf {i} of {size}");
                MerkleTree.VerifyInclusion([0xff], i, size, path, root).Should().BeFalse("another leaf");
                if (size > 1)
                {
                    MerkleTree.VerifyInclusion(Leaves[i], (i + 1) % size, size, path, root).Should().BeFalse("another place");
                }
                MerkleTree.VerifyInclusion(Leaves[i], i, size, [.. path, path.Count > 0 ? path[0] : root], root).Should().BeFalse("a longer path");
            }
        }
    }

    [Fact]
    public void A_leaf_and_a_node_never_hash_alike()
    {
        // The 0x00 / 0x01 prefixes: a node's two children given as one leaf do not give the node.
        var left = MerkleTree.LeafHash(Leaves[1]);
        var right = MerkleTree.LeafHash(Leaves[2]);
        MerkleTree.LeafHash([.. left, .. right]).Should().NotEqual(SHA256.HashData([0x01, .. left, .. right]));
        SHA256.HashData([0x01, .. left, .. right]).Should().Equal(MerkleTree.Root(Leaves[1..3]));
    }
}
