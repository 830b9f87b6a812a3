//! A sparse Merkle tree over the Goldilocks field with plonky2's Poseidon: the
//! structure the rollup's account state lives in, and the one the batch circuit proves
//! membership and updates against. Empty leaves are the zero digest; a parent is
//! `Poseidon.two_to_one(left, right)`; only non-empty nodes are stored.

use std::collections::HashMap;

use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;

/// The field of the L2 state and its proofs.
pub type F = GoldilocksField;
/// A Poseidon digest: four field elements.
pub type Digest = HashOut<F>;

/// The deepest tree supported: leaf indices are `u64` and one level is kept spare.
pub const MAX_DEPTH: usize = 63;

/// Errors of tree operations.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SmtError {
    /// The depth is 0 or above [`MAX_DEPTH`].
    #[error("tree depth {0} is outside 1..={MAX_DEPTH}")]
    BadDepth(usize),
    /// The leaf index does not fit the tree.
    #[error("leaf index {index} is outside a tree of depth {depth} (at most {max})")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree's depth.
        depth: usize,
        /// Largest valid index.
        max: u64,
    },
}

/// A Merkle path: the siblings of a leaf from the bottom level up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleProof {
    /// Leaf index the path is for.
    pub index: u64,
    /// Sibling digests, leaf level first.
    pub siblings: Vec<Digest>,
}

impl MerkleProof {
    /// The root a tree would have with `leaf` at this path's index.
    pub fn root_for(&self, leaf: Digest) -> Digest {
        let mut node = leaf;
        for (level, sibling) in self.siblings.iter().enumerate() {
            node = if (self.index >> level) & 1 == 0 {
                PoseidonHash::two_to_one(node, *sibling)
            } else {
                PoseidonHash::two_to_one(*sibling, node)
            };
        }
        node
    }

    /// Whether `leaf` sits at this path's index under `root`.
    pub fn verify(&self, root: Digest, leaf: Digest) -> bool {
        self.root_for(leaf) == root
    }
}

/// A sparse Merkle tree of fixed depth.
#[derive(Clone, Debug)]
pub struct SparseMerkleTree {
    depth: usize,
    /// `empty[h]`: root of an empty subtree of height `h` (`empty[0]` is the empty leaf).
    empty: Vec<Digest>,
    /// Non-empty nodes by (height, index at that height).
    nodes: HashMap<(usize, u64), Digest>,
}

impl SparseMerkleTree {
    /// An empty tree with `2^depth` leaves.
    pub fn new(depth: usize) -> Result<Self, SmtError> {
        if depth == 0 || depth > MAX_DEPTH {
            return Err(SmtError::BadDepth(depth));
        }
        let mut empty = Vec::with_capacity(depth + 1);
        empty.push(HashOut::ZERO);
        for h in 0..depth {
            empty.push(PoseidonHash::two_to_one(empty[h], empty[h]));
        }
        Ok(Self {
            depth,
            empty,
            nodes: HashMap::new(),
        })
    }

    /// Depth (number of levels above the leaves).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The root.
    pub fn root(&self) -> Digest {
        self.node(self.depth, 0)
    }

    /// Root of an empty tree of this depth.
    pub fn empty_root(&self) -> Digest {
        self.empty[self.depth]
    }

    /// The leaf at `index` (the zero digest when empty).
    pub fn leaf(&self, index: u64) -> Result<Digest, SmtError> {
        self.check(index)?;
        Ok(self.node(0, index))
    }

    /// Sets the leaf at `index` and returns the new root. Setting the zero digest empties it.
    pub fn set(&mut self, index: u64, leaf: Digest) -> Result<Digest, SmtError> {
        self.check(index)?;
        let mut node = leaf;
        let mut i = index;
        for h in 0..self.depth {
            self.store(h, i, node);
            let sibling = self.node(h, i ^ 1);
            node = if i & 1 == 0 {
                PoseidonHash::two_to_one(node, sibling)
            } else {
                PoseidonHash::two_to_one(sibling, node)
            };
            i >>= 1;
        }
        self.store(self.depth, 0, node);
        Ok(node)
    }

    /// The Merkle path of `index`.
    pub fn proof(&self, index: u64) -> Result<MerkleProof, SmtError> {
        self.check(index)?;
        let siblings = (0..self.depth)
            .map(|h| self.node(h, (index >> h) ^ 1))
            .collect();
        Ok(MerkleProof { index, siblings })
    }

    /// Number of Poseidon compressions one leaf update costs (one per level).
    pub fn hashes_per_update(&self) -> usize {
        self.depth
    }

    fn node(&self, height: usize, index: u64) -> Digest {
        self.nodes
            .get(&(height, index))
            .copied()
            .unwrap_or(self.empty[height])
    }

    fn store(&mut self, height: usize, index: u64, digest: Digest) {
        if digest == self.empty[height] {
            self.nodes.remove(&(height, index));
        } else {
            self.nodes.insert((height, index), digest);
        }
    }

    fn check(&self, index: u64) -> Result<(), SmtError> {
        let max = (1u64 << self.depth) - 1;
        if index > max {
            return Err(SmtError::IndexOutOfRange {
                index,
                depth: self.depth,
                max,
            });
        }
        Ok(())
    }
}

/// A digest of `values` (Poseidon, no padding): how leaves commit to their contents.
pub fn hash_fields(values: &[F]) -> Digest {
    PoseidonHash::hash_no_pad(values)
}

/// Capacity word that marks a leaf hash ([`leaf_hash`]): inner nodes hash with a zero
/// capacity, so no leaf digest can be read as an inner node and no inner node as a leaf.
pub const LEAF_DOMAIN: u64 = 1;

/// Field elements of an account leaf (owner limbs, two balances, nonce, key digest).
pub const LEAF_FIELDS: usize = 10;

/// The digest of an account leaf's ten field elements: one Poseidon permutation of
/// `fields[0..8] ‖ LEAF_DOMAIN, fields[8], fields[9], 0`, its first four words. The
/// capacity carries the domain word and the key digest: with the domain and the last
/// word fixed, a preimage or collision needs two chosen words of the permuted state
/// to come out right (about 2^128 work), and the domain word keeps leaves apart from
/// the inner nodes' `two_to_one` (the same permutation with a zero capacity).
pub fn leaf_hash(fields: &[F; LEAF_FIELDS]) -> Digest {
    use plonky2::hash::hashing::PlonkyPermutation;
    use plonky2::hash::poseidon::PoseidonPermutation;
    let mut perm = PoseidonPermutation::new(std::iter::repeat(F::ZERO));
    perm.set_from_slice(&fields[..8], 0);
    perm.set_elt(felt(LEAF_DOMAIN), 8);
    perm.set_from_slice(&fields[8..], 9);
    perm.permute();
    let out = perm.squeeze();
    HashOut {
        elements: [out[0], out[1], out[2], out[3]],
    }
}

/// One Poseidon sponge in overwrite mode with `domain` in the first capacity word:
/// absorbs `inputs` eight at a time (one permutation each), returns the first `N`
/// words. The circuit's [`crate::zk::gadgets::sponge`] computes the same.
pub fn sponge<const N: usize>(domain: u64, inputs: &[F]) -> [F; N] {
    use plonky2::hash::hashing::PlonkyPermutation;
    use plonky2::hash::poseidon::PoseidonPermutation;
    let mut perm = PoseidonPermutation::new(std::iter::repeat(F::ZERO));
    perm.set_elt(felt(domain), PoseidonPermutation::<F>::RATE);
    for chunk in inputs.chunks(PoseidonPermutation::<F>::RATE) {
        perm.set_from_slice(chunk, 0);
        perm.permute();
    }
    std::array::from_fn(|i| perm.squeeze()[i])
}

/// `x` as a field element; `x` must be below the Goldilocks modulus (true of every
/// amount the bridge admits, which are below 2^62).
pub fn felt(x: u64) -> F {
    F::from_canonical_u64(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(x: u64) -> Digest {
        hash_fields(&[felt(x), felt(x + 1)])
    }

    #[test]
    fn empty_tree_root_is_the_fold_of_empty_leaves() {
        let t = SparseMerkleTree::new(3).unwrap();
        let mut level: Vec<Digest> = vec![HashOut::ZERO; 8];
        while level.len() > 1 {
            level = level
                .chunks(2)
                .map(|p| PoseidonHash::two_to_one(p[0], p[1]))
                .collect();
        }
        assert_eq!(t.root(), level[0]);
        assert_eq!(t.root(), t.empty_root());
    }

    #[test]
    fn root_matches_a_dense_tree() {
        let mut t = SparseMerkleTree::new(3).unwrap();
        let mut dense = vec![HashOut::ZERO; 8];
        for (i, x) in [(1u64, 10u64), (6, 60), (7, 70)] {
            t.set(i, leaf(x)).unwrap();
            dense[i as usize] = leaf(x);
        }
        while dense.len() > 1 {
            dense = dense
                .chunks(2)
                .map(|p| PoseidonHash::two_to_one(p[0], p[1]))
                .collect();
        }
        assert_eq!(t.root(), dense[0]);
    }

    #[test]
    fn proofs_verify_and_bind_the_leaf_and_index() {
        let mut t = SparseMerkleTree::new(20).unwrap();
        for i in [0u64, 5, 1 << 19, (1 << 20) - 1] {
            t.set(i, leaf(i)).unwrap();
        }
        let root = t.root();
        let p = t.proof(5).unwrap();
        assert!(p.verify(root, leaf(5)));
        assert!(!p.verify(root, leaf(6)), "another leaf");
        let moved = MerkleProof {
            index: 4,
            ..p.clone()
        };
        assert!(!moved.verify(root, leaf(5)), "another index");
        // An empty slot proves emptiness.
        assert!(t.proof(6).unwrap().verify(root, HashOut::ZERO));
    }

    #[test]
    fn order_of_updates_does_not_matter_and_clearing_restores_the_root() {
        let mut a = SparseMerkleTree::new(16).unwrap();
        let mut b = SparseMerkleTree::new(16).unwrap();
        a.set(3, leaf(3)).unwrap();
        a.set(900, leaf(9)).unwrap();
        b.set(900, leaf(9)).unwrap();
        b.set(3, leaf(3)).unwrap();
        assert_eq!(a.root(), b.root());
        a.set(900, HashOut::ZERO).unwrap();
        a.set(3, HashOut::ZERO).unwrap();
        assert_eq!(a.root(), a.empty_root());
        assert!(a.nodes.is_empty(), "empty subtrees are not stored");
    }

    #[test]
    fn bad_depth_and_index_are_errors() {
        assert_eq!(SparseMerkleTree::new(0).unwrap_err(), SmtError::BadDepth(0));
        assert_eq!(
            SparseMerkleTree::new(64).unwrap_err(),
            SmtError::BadDepth(64)
        );
        let mut t = SparseMerkleTree::new(4).unwrap();
        assert_eq!(
            t.set(16, leaf(1)).unwrap_err(),
            SmtError::IndexOutOfRange {
                index: 16,
                depth: 4,
                max: 15
            }
        );
        assert!(t.proof(u64::MAX).is_err());
    }
}
