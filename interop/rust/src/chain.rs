//! The reference chain's encodings, hashes, proof of work and signatures (docs/chain.md),
//! and gossip topics and message IDs (protocols/gossip.md).

use sha2::{Digest, Sha256};

use crate::wire::{chain_id_field, read_chain_id_field, BLOCK_PREFIX, HEADER_BYTES, TX_BYTES};

pub type Hash = [u8; 32];
const MAX_SAFE: u64 = (1 << 53) - 1;

pub fn sha256(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub chain_id: String,
    pub height: u64,
    pub previous_hash: Hash,
    pub timestamp: u64,
    pub tx_root: Hash,
    pub state_root: Hash,
    pub target: Hash,
    pub nonce: u64,
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().unwrap())
}
fn hash_at(b: &[u8], at: usize) -> Hash {
    b[at..at + 32].try_into().unwrap()
}

/// A 185-byte header, version 2 (docs/chain.md "Header"); None if it does not decode.
pub fn decode_header(b: &[u8]) -> Option<Header> {
    if b.len() != HEADER_BYTES || b[0] != 2 {
        return None;
    }
    let chain_id = read_chain_id_field(&b[1..33]).ok()?;
    let height = u64_at(b, 33);
    let timestamp = u64_at(b, 73);
    if height > MAX_SAFE || timestamp > MAX_SAFE {
        return None;
    }
    Some(Header {
        chain_id,
        height,
        previous_hash: hash_at(b, 41),
        timestamp,
        tx_root: hash_at(b, 81),
        state_root: hash_at(b, 113),
        target: hash_at(b, 145),
        nonce: u64_at(b, 177),
    })
}

pub fn block_hash(header_bytes: &[u8]) -> Hash {
    sha256(&header_bytes[..HEADER_BYTES])
}

/// Proof of work: the hash, as a 256-bit big-endian number, ≤ the target.
pub fn meets_target(hash: &Hash, target: &Hash) -> bool {
    hash <= target
}

/// A block: header, u32 count n, n transactions; exactly 189 + 152·n bytes.
pub fn decode_block(b: &[u8]) -> Option<(Header, Vec<&[u8]>)> {
    if b.len() < BLOCK_PREFIX {
        return None;
    }
    let header = decode_header(&b[..HEADER_BYTES])?;
    let n = u32::from_be_bytes(b[185..189].try_into().unwrap()) as usize;
    if b.len() != BLOCK_PREFIX + TX_BYTES * n {
        return None;
    }
    Some((header, b[BLOCK_PREFIX..].chunks(TX_BYTES).collect()))
}

/// Bitcoin's Merkle root; an odd level pairs its last hash with itself; none: zero.
pub fn merkle_root(hashes: &[Hash]) -> Hash {
    if hashes.is_empty() {
        return [0; 32];
    }
    let mut level = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|p| {
                let mut h = Sha256::new();
                h.update(p[0]);
                h.update(p.get(1).unwrap_or(&p[0]));
                h.finalize().into()
            })
            .collect();
    }
    level[0]
}

/// The body is its header's: no transaction twice (CVE-2012-2459) and the root is txRoot.
pub fn body_matches(header: &Header, txs: &[&[u8]]) -> bool {
    let hashes: Vec<Hash> = txs.iter().map(|t| sha256(t)).collect();
    let mut sorted = hashes.clone();
    sorted.sort();
    sorted.dedup();
    sorted.len() == hashes.len() && merkle_root(&hashes) == header.tx_root
}

// ---------------------------------------------------------------- transactions

#[derive(Clone, Debug)]
pub struct Transfer {
    pub to: [u8; 32],
    pub amount: u64,
    pub fee: u64,
    pub nonce: u64,
}

/// `paw-tx-v1` ‖ chain ID field ‖ the transaction's bytes 0..88 (129 bytes).
pub fn signing_message(tx: &[u8], chain_id: &str) -> Option<Vec<u8>> {
    let mut m = b"paw-tx-v1".to_vec();
    m.extend_from_slice(&chain_id_field(chain_id).ok()?);
    m.extend_from_slice(&tx[..88]);
    Some(m)
}

/// Devnet account i's secret key: SHA-256("paw-devnet account <i>") (docs/chain.md).
pub fn devnet_seed(i: u32) -> [u8; 32] {
    sha256(format!("paw-devnet account {i}").as_bytes())
}

pub fn address_of(seed: &[u8; 32]) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(seed)
        .verifying_key()
        .to_bytes()
}

pub fn sign_transaction(seed: &[u8; 32], t: &Transfer, chain_id: &str) -> Vec<u8> {
    use ed25519_dalek::Signer;
    let key = ed25519_dalek::SigningKey::from_bytes(seed);
    let mut tx = Vec::with_capacity(TX_BYTES);
    tx.extend_from_slice(&key.verifying_key().to_bytes());
    tx.extend_from_slice(&t.to);
    tx.extend_from_slice(&t.amount.to_be_bytes());
    tx.extend_from_slice(&t.fee.to_be_bytes());
    tx.extend_from_slice(&t.nonce.to_be_bytes());
    let sig = key.sign(&signing_message(&tx, chain_id).expect("chain id"));
    tx.extend_from_slice(&sig.to_bytes());
    tx
}

/// Decodes a point as RFC 8032 §5.1.3 says, with no leniency (docs/chain.md rule 1): the
/// y of the encoding (top bit cleared) is < p = 2^255 − 19, the curve gives an x, and x = 0
/// with the sign bit set is refused. (curve25519-dalek reduces a y ≥ p and takes x = 0 with
/// either sign, so both are checked here.)
fn decode_point(b: &[u8; 32]) -> Option<curve25519_dalek::EdwardsPoint> {
    let mut y = *b;
    y[31] &= 0x7f;
    let sign = b[31] & 0x80 != 0;
    // y ≥ p: 0xed..=0xff, then thirty 0xff, then 0x7f (little-endian).
    if y[0] >= 0xed && y[1..31].iter().all(|&v| v == 0xff) && y[31] == 0x7f {
        return None;
    }
    let point = curve25519_dalek::edwards::CompressedEdwardsY(*b).decompress()?;
    // x = 0 exactly when y = 1 or y = p − 1 = −1.
    let mut one = [0u8; 32];
    one[0] = 1;
    let mut minus_one = [0xffu8; 32];
    minus_one[0] = 0xec;
    minus_one[31] = 0x7f;
    if sign && (y == one || y == minus_one) {
        return None;
    }
    Some(point)
}

/// Strict Ed25519 verification, exactly the four rules of docs/chain.md "Signed message": A
/// and R decode strictly; S < L; A is not of small order; 8·(R + k·A − S·B) = identity with
/// k = SHA-512(R ‖ A ‖ M) mod L (cofactored, R may have a torsion component).
pub fn verify_strict_rules(public_key: &[u8; 32], signature: &[u8; 64], message: &[u8]) -> bool {
    use curve25519_dalek::traits::IsIdentity;
    use curve25519_dalek::Scalar;
    use sha2::Sha512;
    let r_bytes: [u8; 32] = signature[..32].try_into().unwrap();
    let s_bytes: [u8; 32] = signature[32..].try_into().unwrap();
    let (Some(a), Some(r)) = (decode_point(public_key), decode_point(&r_bytes)) else {
        return false;
    };
    let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)) else {
        return false;
    };
    if a.is_small_order() {
        return false;
    }
    let mut h = Sha512::new();
    h.update(r_bytes);
    h.update(public_key);
    h.update(message);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    // k·A − S·B
    let ka_minus_sb =
        curve25519_dalek::EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &a, &-s);
    (r + ka_minus_sb).mul_by_cofactor().is_identity()
}

/// A transaction's signature, for this chain ID, by the strict rules above.
pub fn verify_transaction(tx: &[u8], chain_id: &str) -> bool {
    if tx.len() != TX_BYTES {
        return false;
    }
    let Some(msg) = signing_message(tx, chain_id) else {
        return false;
    };
    verify_strict_rules(
        tx[..32].try_into().unwrap(),
        tx[88..152].try_into().unwrap(),
        &msg,
    )
}

// ---------------------------------------------------------------- gossip

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Blocks,
    Transactions,
    Headers,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Blocks => "blocks",
            Kind::Transactions => "transactions",
            Kind::Headers => "headers",
        }
    }
    fn tag(self) -> u8 {
        match self {
            Kind::Blocks => 0,
            Kind::Transactions => 1,
            Kind::Headers => 2,
        }
    }
}

pub fn topic(chain_id: &str, kind: Kind) -> Option<String> {
    chain_id_field(chain_id).ok()?;
    Some(format!("/paw/{chain_id}/{}/1", kind.name()))
}

/// `^/paw/([^\u0000]+)/(blocks|transactions|headers)/1$`, the chain ID 1..32 bytes.
pub fn parse_topic(t: &str) -> Option<(String, Kind)> {
    let rest = t.strip_prefix("/paw/")?.strip_suffix("/1")?;
    let (chain, kind) = rest.rsplit_once('/')?;
    let kind = match kind {
        "blocks" => Kind::Blocks,
        "transactions" => Kind::Transactions,
        "headers" => Kind::Headers,
        _ => return None,
    };
    if chain.is_empty() || chain.len() > 32 || chain.contains('\0') {
        return None;
    }
    Some((chain.to_string(), kind))
}

/// The message ID of gossip.md "Message IDs".
pub fn message_id(topic: &str, data: &[u8]) -> Vec<u8> {
    let kind = parse_topic(topic).map(|(_, k)| k);
    let good = match kind {
        Some(Kind::Transactions) if data.len() == TX_BYTES => Some(sha256(data).to_vec()),
        Some(Kind::Headers) => decode_header(data).map(|_| {
            let mut id = vec![1u8];
            id.extend_from_slice(&block_hash(data));
            id
        }),
        Some(Kind::Blocks) => decode_block(data)
            .filter(|(h, txs)| body_matches(h, txs))
            .map(|_| block_hash(data).to_vec()),
        _ => None,
    };
    good.unwrap_or_else(|| {
        let mut id = vec![0xff, kind.map_or(3, Kind::tag)];
        id.extend_from_slice(&sha256(data));
        id
    })
}
