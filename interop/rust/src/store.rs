//! The best chain this peer holds (from sync and gossip), to serve `/paw/blocks/1`.

use std::collections::HashMap;

use crate::chain::{block_hash, Hash};
use crate::wire::{
    blocks_that_fit, range_to_serve, HEADER_BYTES, MAX_BLOCKS_PER_ANSWER, MAX_HEADERS_PER_ANSWER,
};

#[derive(Default)]
pub struct Store {
    /// Block encodings of the best chain, by height from genesis.
    pub chain: Vec<Vec<u8>>,
    pub hashes: Vec<Hash>,
    /// Every block seen, by hash (any branch), for `get_block`.
    pub by_hash: HashMap<Hash, Vec<u8>>,
}

impl Store {
    pub fn tip(&self) -> Option<(u64, Hash)> {
        self.hashes
            .last()
            .map(|h| (self.hashes.len() as u64 - 1, *h))
    }

    /// Replaces the best chain from `from` on with `blocks` (already checked).
    pub fn replace_from(&mut self, from: usize, blocks: Vec<Vec<u8>>) {
        self.chain.truncate(from);
        self.hashes.truncate(from);
        for b in blocks {
            let h = block_hash(&b);
            self.by_hash.insert(h, b.clone());
            self.chain.push(b);
            self.hashes.push(h);
        }
    }

    /// Appends a block whose parent is the tip; false if it is not.
    pub fn extend(&mut self, block: &[u8], parent: &Hash, height: u64) -> bool {
        let h = block_hash(block);
        self.by_hash.insert(h, block.to_vec());
        match self.tip() {
            Some((tip, tip_hash)) if tip + 1 == height && tip_hash == *parent => {
                self.chain.push(block.to_vec());
                self.hashes.push(h);
                true
            }
            _ => false,
        }
    }

    pub fn headers(&self, start: u32, count: u16) -> Vec<&[u8]> {
        let Some((tip, _)) = self.tip() else {
            return Vec::new();
        };
        let n = range_to_serve(
            start as u64,
            count as u64,
            MAX_HEADERS_PER_ANSWER as u64,
            tip,
        );
        (0..n)
            .map(|i| &self.chain[(start as u64 + i) as usize][..HEADER_BYTES])
            .collect()
    }

    pub fn blocks(&self, start: u32, count: u16) -> Vec<&[u8]> {
        let Some((tip, _)) = self.tip() else {
            return Vec::new();
        };
        let n = range_to_serve(
            start as u64,
            count as u64,
            MAX_BLOCKS_PER_ANSWER as u64,
            tip,
        );
        let picked: Vec<&[u8]> = (0..n)
            .map(|i| self.chain[(start as u64 + i) as usize].as_slice())
            .collect();
        let lengths: Vec<usize> = picked.iter().map(|b| b.len()).collect();
        let fit = blocks_that_fit(&lengths);
        picked[..fit].to_vec()
    }
}
