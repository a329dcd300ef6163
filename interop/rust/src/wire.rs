//! PAW framing (protocols/framing.md) and the payloads of `/paw/handshake/1`
//! (protocols/handshake.md), `/paw/blocks/1` (protocols/blocks.md) and `/paw/peers/1`'s
//! empty answer (protocols/peers.md), written from the documents.

use std::collections::{HashMap, HashSet};

/// The largest L of any frame: 10 MiB (framing.md "Wire layout").
pub const MAX_FRAME_LENGTH: u32 = 10_485_760;
pub const ERR_VERSION: u8 = 0x01;
pub const ERR_CHAIN: u8 = 0x02;
pub const ERR_TOO_LARGE: u8 = 0x04;
pub const ERR_MALFORMED: u8 = 0x05;
pub const ERR_UNEXPECTED: u8 = 0x0a;

pub fn valid_type_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'/' | b'-')
}

/// One whole frame: `[u32 BE L][u16 BE T][type][payload]`, refused (0x05, 0x04) as
/// framing.md "Sending" says.
pub fn encode_frame(kind: &str, payload: &[u8]) -> Result<Vec<u8>, u8> {
    let t = kind.len();
    if t == 0 || t > 32 || !kind.bytes().all(valid_type_byte) {
        return Err(ERR_MALFORMED);
    }
    let l = 2 + t + payload.len();
    if l > MAX_FRAME_LENGTH as usize {
        return Err(ERR_TOO_LARGE);
    }
    let mut out = Vec::with_capacity(4 + l);
    out.extend_from_slice(&(l as u32).to_be_bytes());
    out.extend_from_slice(&(t as u16).to_be_bytes());
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// Per-type limits at one point of a stream (framing.md "Frame limits").
#[derive(Clone, Debug, Default)]
pub struct Limits {
    pub accepted: HashMap<String, u32>,
    pub defined: HashSet<String>,
    pub ceiling: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    Frame { kind: String, payload: Vec<u8> },
    Error { code: u8, fatal: bool, at_end: bool },
}

enum State {
    /// Reading the header; `have` bytes of it so far.
    Header,
    /// Collecting `need` more payload bytes of a good frame.
    Body {
        kind: String,
        need: usize,
    },
    /// Discarding `left` more bytes of a frame already reported.
    Skip {
        left: usize,
    },
    Failed,
}

/// The receiving side of framing.md "Receiving", fed chunks of any size. Holds at most the
/// header (6 + 32 bytes) and the body of the one frame in progress.
pub struct FrameDecoder {
    limits: Option<Limits>,
    header: Vec<u8>,
    body: Vec<u8>,
    state: State,
}

impl FrameDecoder {
    pub fn new(limits: Option<Limits>) -> Self {
        FrameDecoder {
            limits,
            header: Vec::new(),
            body: Vec::new(),
            state: State::Header,
        }
    }

    fn max_l(&self) -> u32 {
        self.limits.as_ref().map_or(MAX_FRAME_LENGTH, |l| l.ceiling)
    }

    pub fn push(&mut self, mut input: &[u8], out: &mut Vec<Report>) {
        while !input.is_empty() {
            match &mut self.state {
                State::Failed => return,
                State::Skip { left } => {
                    let n = (*left).min(input.len());
                    *left -= n;
                    input = &input[n..];
                    if *left == 0 {
                        self.state = State::Header;
                    }
                }
                State::Body { kind, need } => {
                    let n = (*need).min(input.len());
                    self.body.extend_from_slice(&input[..n]);
                    *need -= n;
                    input = &input[n..];
                    if *need == 0 {
                        let kind = std::mem::take(kind);
                        out.push(Report::Frame {
                            kind,
                            payload: std::mem::take(&mut self.body),
                        });
                        self.state = State::Header;
                    }
                }
                State::Header => {
                    self.header.push(input[0]);
                    input = &input[1..];
                    self.step_header(out);
                }
            }
        }
    }

    fn skip(&mut self, l: u32, out: &mut Vec<Report>, code: u8) {
        out.push(Report::Error {
            code,
            fatal: false,
            at_end: false,
        });
        let left = 4 + l as usize - self.header.len();
        self.header.clear();
        self.state = if left == 0 {
            State::Header
        } else {
            State::Skip { left }
        };
    }

    fn step_header(&mut self, out: &mut Vec<Report>) {
        let h = &self.header;
        if h.len() < 4 {
            return;
        }
        let l = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        if h.len() == 4 {
            if l > self.max_l() {
                out.push(Report::Error {
                    code: ERR_TOO_LARGE,
                    fatal: true,
                    at_end: false,
                });
                self.state = State::Failed;
                return;
            }
            if l < 3 {
                self.skip(l, out, ERR_MALFORMED);
            }
            return;
        }
        if h.len() < 6 {
            return;
        }
        let t = u16::from_be_bytes([h[4], h[5]]) as u32;
        if h.len() == 6 {
            if t == 0 || t > 32 || t > l - 2 {
                self.skip(l, out, ERR_MALFORMED);
            }
            return;
        }
        // Type bytes arriving: a bad one is decided as soon as all T are in.
        if (h.len() as u32) < 6 + t {
            return;
        }
        if !h[6..].iter().all(|&b| valid_type_byte(b)) {
            self.skip(l, out, ERR_MALFORMED);
            return;
        }
        let kind = String::from_utf8(h[6..].to_vec()).expect("ascii");
        if let Some(limits) = &self.limits {
            if let Some(&max) = limits.accepted.get(&kind) {
                if l > max {
                    out.push(Report::Error {
                        code: ERR_TOO_LARGE,
                        fatal: true,
                        at_end: false,
                    });
                    self.state = State::Failed;
                    return;
                }
            } else if limits.defined.contains(&kind) {
                self.skip(l, out, ERR_UNEXPECTED);
                return;
            } else {
                self.skip(l, out, ERR_MALFORMED);
                return;
            }
        }
        let need = (l - 2 - t) as usize;
        self.header.clear();
        if need == 0 {
            out.push(Report::Frame {
                kind,
                payload: Vec::new(),
            });
            self.state = State::Header;
        } else {
            self.body = Vec::with_capacity(need.min(1 << 20));
            self.state = State::Body { kind, need };
        }
    }

    /// The input ended: a frame cut short is 0x05 (unless it was already reported).
    pub fn end(&mut self, out: &mut Vec<Report>) {
        match self.state {
            State::Header if self.header.is_empty() => {}
            State::Header | State::Body { .. } => out.push(Report::Error {
                code: ERR_MALFORMED,
                fatal: false,
                at_end: true,
            }),
            State::Skip { .. } | State::Failed => {}
        }
    }
}

// ---------------------------------------------------------------- chain ID field

/// The 32-byte chain ID field: UTF-8, 1..=32 bytes, no NUL, right-padded with 0x00.
pub fn chain_id_field(chain_id: &str) -> Result<[u8; 32], u8> {
    let b = chain_id.as_bytes();
    if b.is_empty() || b.len() > 32 || b.contains(&0) {
        return Err(ERR_MALFORMED);
    }
    let mut f = [0u8; 32];
    f[..b.len()].copy_from_slice(b);
    Ok(f)
}

/// Reads a chain ID field (handshake.md "Refinement"): not empty, only 0x00 after the
/// first 0x00, well-formed UTF-8.
pub fn read_chain_id_field(f: &[u8]) -> Result<String, u8> {
    let end = f.iter().position(|&b| b == 0).unwrap_or(f.len());
    if end == 0 || f[end..].iter().any(|&b| b != 0) {
        return Err(ERR_MALFORMED);
    }
    String::from_utf8(f[..end].to_vec()).map_err(|_| ERR_MALFORMED)
}

// ---------------------------------------------------------------- handshake

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handshake {
    pub version: u8,
    pub chain_id: String,
    pub node_id: [u8; 32],
}

pub fn encode_handshake(version: u8, chain_id: &str, node_id: &[u8; 32]) -> Result<Vec<u8>, u8> {
    let mut p = Vec::with_capacity(65);
    p.push(version);
    p.extend_from_slice(&chain_id_field(chain_id)?);
    p.extend_from_slice(node_id);
    Ok(p)
}

/// Structure checks, in the order of handshake.md "Validation order" (version first).
pub fn decode_handshake(p: &[u8]) -> Result<Handshake, u8> {
    if p.is_empty() {
        return Err(ERR_MALFORMED);
    }
    if p[0] != 1 {
        return Err(ERR_VERSION);
    }
    if p.len() != 65 {
        return Err(ERR_MALFORMED);
    }
    let chain_id = read_chain_id_field(&p[1..33])?;
    let mut node_id = [0u8; 32];
    node_id.copy_from_slice(&p[33..65]);
    Ok(Handshake {
        version: p[0],
        chain_id,
        node_id,
    })
}

/// The chain comparison: exact, over the 32-byte field.
pub fn check_handshake(h: &Handshake, version: u8, chain_id: &str) -> Result<(), u8> {
    if h.version != version {
        return Err(ERR_VERSION);
    }
    if chain_id_field(&h.chain_id)? != chain_id_field(chain_id)? {
        return Err(ERR_CHAIN);
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub code: u8,
    pub reason: String,
}

pub fn decode_reject(p: &[u8]) -> Result<Reject, u8> {
    if p.is_empty() || p[0] == 0 || p.len() > 257 {
        return Err(ERR_MALFORMED);
    }
    let reason = String::from_utf8(p[1..].to_vec()).map_err(|_| ERR_MALFORMED)?;
    Ok(Reject { code: p[0], reason })
}

/// A reject payload, the reason cut to 256 bytes at a character boundary.
pub fn encode_reject(code: u8, reason: &str) -> Result<Vec<u8>, u8> {
    if code == 0 {
        return Err(ERR_MALFORMED);
    }
    let mut end = reason.len().min(256);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut p = vec![code];
    p.extend_from_slice(&reason.as_bytes()[..end]);
    Ok(p)
}

// ---------------------------------------------------------------- blocks

pub const HEADER_BYTES: usize = 185;
pub const BLOCK_PREFIX: usize = 189;
pub const TX_BYTES: usize = 152;
pub const MAX_BLOCK_BYTES: usize = 10_485_696;
pub const MAX_BLOCKS_PER_ANSWER: usize = 128;
pub const MAX_BLOCK_ANSWER_BYTES: usize = 8_388_608;
pub const MAX_HEADERS_PER_ANSWER: usize = 512;

/// The reference chain's block-length rule: 189 + 152·n, at most `MAX_BLOCK_BYTES`.
pub fn is_block_length(len: usize) -> bool {
    len >= BLOCK_PREFIX && len <= MAX_BLOCK_BYTES && (len - BLOCK_PREFIX) % TX_BYTES == 0
}

pub fn decode_hash(p: &[u8]) -> Result<[u8; 32], u8> {
    p.try_into().map_err(|_| ERR_MALFORMED)
}

/// `get_blocks` / `get_headers`: u32 start, u16 count ≥ 1.
pub fn decode_range(p: &[u8]) -> Result<(u32, u16), u8> {
    if p.len() != 6 {
        return Err(ERR_MALFORMED);
    }
    let start = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
    let count = u16::from_be_bytes([p[4], p[5]]);
    if count == 0 {
        return Err(ERR_MALFORMED);
    }
    Ok((start, count))
}

pub fn encode_range(start: u64, count: u64) -> Result<Vec<u8>, u8> {
    if start > u32::MAX as u64 || count == 0 || count > u16::MAX as u64 {
        return Err(ERR_MALFORMED);
    }
    let mut p = (start as u32).to_be_bytes().to_vec();
    p.extend_from_slice(&(count as u16).to_be_bytes());
    Ok(p)
}

pub fn decode_blocks(p: &[u8]) -> Result<Vec<Vec<u8>>, u8> {
    if p.len() < 2 {
        return Err(ERR_MALFORMED);
    }
    let count = u16::from_be_bytes([p[0], p[1]]) as usize;
    if count > MAX_BLOCKS_PER_ANSWER {
        return Err(ERR_MALFORMED);
    }
    let mut at = 2;
    let mut out = Vec::with_capacity(count);
    let mut total = 0usize;
    for _ in 0..count {
        if p.len() - at < 4 {
            return Err(ERR_MALFORMED);
        }
        let len = u32::from_be_bytes([p[at], p[at + 1], p[at + 2], p[at + 3]]) as usize;
        at += 4;
        if !is_block_length(len) || p.len() - at < len {
            return Err(ERR_MALFORMED);
        }
        total += len;
        out.push(p[at..at + len].to_vec());
        at += len;
    }
    if at != p.len() || (count >= 2 && total > MAX_BLOCK_ANSWER_BYTES) {
        return Err(ERR_MALFORMED);
    }
    Ok(out)
}

pub fn encode_blocks(blocks: &[&[u8]]) -> Result<Vec<u8>, u8> {
    let total: usize = blocks.iter().map(|b| b.len()).sum();
    if blocks.len() > MAX_BLOCKS_PER_ANSWER
        || (blocks.len() >= 2 && total > MAX_BLOCK_ANSWER_BYTES)
        || !blocks.iter().all(|b| is_block_length(b.len()))
    {
        return Err(ERR_MALFORMED);
    }
    let mut p = Vec::with_capacity(2 + 4 * blocks.len() + total);
    p.extend_from_slice(&(blocks.len() as u16).to_be_bytes());
    for b in blocks {
        p.extend_from_slice(&(b.len() as u32).to_be_bytes());
        p.extend_from_slice(b);
    }
    Ok(p)
}

pub fn decode_headers(p: &[u8]) -> Result<Vec<Vec<u8>>, u8> {
    if p.len() < 2 {
        return Err(ERR_MALFORMED);
    }
    let count = u16::from_be_bytes([p[0], p[1]]) as usize;
    if count > MAX_HEADERS_PER_ANSWER || p.len() != 2 + HEADER_BYTES * count {
        return Err(ERR_MALFORMED);
    }
    Ok(p[2..].chunks(HEADER_BYTES).map(|c| c.to_vec()).collect())
}

pub fn encode_headers(headers: &[&[u8]]) -> Result<Vec<u8>, u8> {
    if headers.len() > MAX_HEADERS_PER_ANSWER || headers.iter().any(|h| h.len() != HEADER_BYTES) {
        return Err(ERR_MALFORMED);
    }
    let mut p = (headers.len() as u16).to_be_bytes().to_vec();
    for h in headers {
        p.extend_from_slice(h);
    }
    Ok(p)
}

/// blocks.md "Answers and trimming": how many entries a range answer holds.
pub fn range_to_serve(start: u64, count: u64, bound: u64, tip: u64) -> u64 {
    if start > tip {
        0
    } else {
        count.min(bound).min(tip - start + 1)
    }
}

/// The longest prefix of `lengths` within 8 MiB, the first always included.
pub fn blocks_that_fit(lengths: &[usize]) -> usize {
    let mut total = 0;
    for (i, &len) in lengths.iter().enumerate() {
        total += len;
        if i > 0 && total > MAX_BLOCK_ANSWER_BYTES {
            return i;
        }
    }
    lengths.len()
}
