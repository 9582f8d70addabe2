//! The Merkle tree over the log's leaves, in the shape RFC 6962 §2.1 defines.
//!
//! The tree math (leaf and node hashes, the layout of stored hashes, root, inclusion and
//! consistency proofs and their checks) is `tlog_tiles::tlog`, a port of Go's
//! `golang.org/x/mod/sumdb/tlog` that the Go checksum database and Cloudflare's CT logs run on.
//! What this module adds is the bridge to storage that cannot be read synchronously: the hashes
//! a computation reads depend only on tree sizes and indexes, never on hash values, so a caller
//! first asks [`indexes_read`] which stored hashes a computation needs, fetches them however it
//! likes, and then runs the computation over a [`MapReader`].

use std::cell::RefCell;
use std::collections::HashMap;

use tlog_tiles::tlog::stored_hashes_for_record_hash;
pub use tlog_tiles::tlog::{
    check_record, check_tree, prove_record, prove_tree, record_hash as leaf_hash,
    stored_hash_index, tree_hash, Error as TreeError, Hash, HashReader, EMPTY_HASH,
};

/// A [`HashReader`] that notes which stored hashes are asked for and answers with zeros.
#[derive(Default)]
pub struct IndexRecorder(RefCell<Vec<u64>>);

impl HashReader for IndexRecorder {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        self.0.borrow_mut().extend_from_slice(indexes);
        Ok(vec![Hash([0; 32]); indexes.len()])
    }
}

/// The stored-hash indexes that `compute` reads, sorted and without repeats.
pub fn indexes_read<T>(
    compute: impl FnOnce(&IndexRecorder) -> Result<T, TreeError>,
) -> Result<Vec<u64>, TreeError> {
    let recorder = IndexRecorder::default();
    compute(&recorder)?;
    let mut indexes = recorder.0.into_inner();
    indexes.sort_unstable();
    indexes.dedup();
    Ok(indexes)
}

/// A [`HashReader`] over hashes fetched beforehand.
#[derive(Debug, Default, Clone)]
pub struct MapReader(pub HashMap<u64, Hash>);

impl HashReader for MapReader {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        indexes
            .iter()
            .map(|i| self.0.get(i).copied().ok_or(TreeError::IndexesNotInTree))
            .collect()
    }
}

/// Appends leaves to a stored tree, given the stored hashes on its right edge.
///
/// The right edge of a tree is the roots of the complete subtrees its leaves split into (one per
/// 1 bit of its size). Appending a leaf reads only roots on that edge, and the new tree's edge is
/// made of roots from the old edge and hashes the append wrote; so after one prefetch of
/// [`Appender::frontier_indexes`], a batch of appends and its new root need no further reads.
#[derive(Debug, Clone)]
pub struct Appender {
    size: u64,
    known: MapReader,
}

impl Appender {
    /// The stored hashes to fetch before appending to a tree of `size` leaves.
    pub fn frontier_indexes(size: u64) -> Result<Vec<u64>, TreeError> {
        indexes_read(|r| tree_hash(size, r))
    }

    pub fn new(size: u64, frontier: HashMap<u64, Hash>) -> Self {
        Appender {
            size,
            known: MapReader(frontier),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf; returns the stored hashes to write, as (index, hash).
    pub fn append(&mut self, leaf: Hash) -> Result<Vec<(u64, Hash)>, TreeError> {
        let new = stored_hashes_for_record_hash(self.size, leaf, &self.known)?;
        let first = stored_hash_index(0, self.size);
        let written: Vec<(u64, Hash)> = (first..).zip(new).collect();
        self.known.0.extend(written.iter().copied());
        self.size += 1;
        Ok(written)
    }

    /// The root of the tree as it now stands.
    pub fn root(&self) -> Result<Hash, TreeError> {
        tree_hash(self.size, &self.known)
    }
}

/// A whole tree in memory, for verifying a log from its leaves.
#[derive(Debug, Default)]
pub struct MemoryTree {
    size: u64,
    /// Every stored hash; a stored hash's index is its position.
    stored: Vec<Hash>,
}

impl HashReader for MemoryTree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        indexes
            .iter()
            .map(|&i| {
                self.stored
                    .get(i as usize)
                    .copied()
                    .ok_or(TreeError::IndexesNotInTree)
            })
            .collect()
    }
}

impl MemoryTree {
    pub fn with_capacity(leaves: usize) -> Self {
        MemoryTree {
            size: 0,
            stored: Vec::with_capacity(leaves * 2),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn push(&mut self, leaf: Hash) -> Result<(), TreeError> {
        let new = stored_hashes_for_record_hash(self.size, leaf, &*self)?;
        self.stored.extend(new);
        self.size += 1;
        Ok(())
    }

    /// The root of the tree of the first `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, TreeError> {
        tree_hash(size, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(i: u64) -> Hash {
        leaf_hash(format!("event {i}").as_bytes())
    }

    fn memory_tree(n: u64) -> MemoryTree {
        let mut tree = MemoryTree::default();
        for i in 0..n {
            tree.push(leaf(i)).unwrap();
        }
        tree
    }

    #[test]
    fn roots_match_rfc_6962_by_hand() {
        use sha2::{Digest, Sha256};
        let node = |l: Hash, r: Hash| {
            let mut h = Sha256::new();
            h.update([1u8]);
            h.update(l.0);
            h.update(r.0);
            Hash(h.finalize().into())
        };
        let mut h0 = Sha256::new();
        h0.update([0u8]);
        h0.update(b"event 0");
        assert_eq!(leaf(0).0, <[u8; 32]>::from(h0.finalize()));
        let tree = memory_tree(3);
        // RFC 6962: MTH(D[3]) = H(1 || MTH(D[0:2]) || MTH(D[2:3])).
        let expected = node(node(leaf(0), leaf(1)), leaf(2));
        assert_eq!(tree.root_at(3).unwrap(), expected);
        assert_eq!(tree.root_at(0).unwrap(), EMPTY_HASH);
    }

    #[test]
    fn batched_appends_from_a_prefetched_frontier_match_the_whole_tree() {
        let whole = memory_tree(1000);
        for start in [0u64, 1, 2, 3, 7, 8, 255, 256, 257, 511, 600] {
            let frontier = Appender::frontier_indexes(start).unwrap();
            let fetched = whole.read_hashes(&frontier).unwrap();
            let mut appender = Appender::new(start, frontier.into_iter().zip(fetched).collect());
            for i in start..(start + 150).min(1000) {
                for (index, hash) in appender.append(leaf(i)).unwrap() {
                    assert_eq!(whole.stored[index as usize], hash, "start {start} leaf {i}");
                }
                assert_eq!(appender.root().unwrap(), whole.root_at(i + 1).unwrap());
            }
        }
    }

    #[test]
    fn proofs_from_prefetched_hashes_check() {
        let tree = memory_tree(777);
        let root = tree.root_at(777).unwrap();
        for n in [0u64, 1, 500, 776] {
            let needed = indexes_read(|r| prove_record(777, n, r)).unwrap();
            let reader = MapReader(
                needed
                    .iter()
                    .copied()
                    .zip(tree.read_hashes(&needed).unwrap())
                    .collect(),
            );
            let proof = prove_record(777, n, &reader).unwrap();
            check_record(&proof, 777, root, n, leaf(n)).unwrap();
            assert!(check_record(&proof, 777, root, n, leaf(n + 1)).is_err());
        }
        for old in [1u64, 2, 100, 512, 777] {
            let proof = prove_tree(777, old, &tree).unwrap();
            check_tree(&proof, 777, root, old, tree.root_at(old).unwrap()).unwrap();
            let wrong = tree.root_at(old - 1).unwrap_or(EMPTY_HASH);
            assert!(check_tree(&proof, 777, root, old, wrong).is_err());
        }
    }
}
