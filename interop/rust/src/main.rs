//! paw-rust-peer: a PAW peer on rust-libp2p. Prints one JSON object per line on stdout for
//! every event; reads commands, one JSON object per line, on stdin. See README.md.

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, StreamExt};
use libp2p::core::ConnectedPoint;
use libp2p::gossipsub::{
    self, IdentTopic, MessageAcceptance, MessageAuthenticity, MessageId, ValidationMode,
};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{
    identify, identity, noise, ping, tcp, tls, yamux, Multiaddr, PeerId, StreamProtocol, Swarm,
};
use paw_rust_peer::chain::{self, Kind};
use paw_rust_peer::store::Store;
use paw_rust_peer::wire::{self, ERR_MALFORMED, ERR_TOO_LARGE, ERR_UNEXPECTED};
use serde_json::{json, Value};
use tokio::sync::mpsc;

const HANDSHAKE: StreamProtocol = StreamProtocol::new("/paw/handshake/1");
const BLOCKS: StreamProtocol = StreamProtocol::new("/paw/blocks/1");
const PEERS: StreamProtocol = StreamProtocol::new("/paw/peers/1");
/// docs/chain.md "Built-in chains".
const DEVNET_GENESIS: &str = "8f3873fcd3eb2ddfaacd7e5e667753843c67e0d1ca729561c4a156b8641f8cbe";
/// protocols/gossip.md "Limits": maxInboundDataLength.
const MAX_RPC: usize = 10_551_296;
const BLOCKS_CEILING: u32 = 10_485_710;
const AGENT: &str = "paw-interop-rust/0.1.0";

#[derive(NetworkBehaviour)]
struct Behaviour {
    gossipsub: gossipsub::Behaviour,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    stream: libp2p_stream::Behaviour,
}

/// What the main loop does; `tag` is a command's `"tag"`, echoed in its result event (the
/// event named after the command, as interop/go does).
enum Command {
    Dial {
        addr: Multiaddr,
        tag: Value,
    },
    Publish {
        kind: Kind,
        data: Vec<u8>,
        label: Value,
    },
    Sync {
        peer: PeerId,
        tag: Value,
    },
    GetBlock {
        peer: PeerId,
        hash: [u8; 32],
        tag: Value,
    },
    HandshakeDone {
        peer: PeerId,
        ok: bool,
        fields: Value,
    },
    Quit,
}

struct Ctx {
    chain_id: String,
    node_id: [u8; 32],
    store: Mutex<Store>,
    sync_lock: tokio::sync::Mutex<()>,
    control: Mutex<libp2p_stream::Control>,
    commands: mpsc::UnboundedSender<Command>,
    started: Instant,
    /// PAW_RUST_BREAK: break one rule on purpose, to show the tests fail (README.md).
    broken: String,
}

impl Ctx {
    fn control(&self) -> libp2p_stream::Control {
        self.control.lock().unwrap().clone()
    }
    fn emit(&self, mut v: Value) {
        use std::io::Write;
        v["ms"] = json!(self.started.elapsed().as_millis() as u64);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{v}");
        let _ = out.flush();
    }
    fn broken(&self, what: &str) -> bool {
        self.broken.split(',').any(|b| b == what)
    }
}

fn hex32(b: &[u8]) -> String {
    hex::encode(b)
}

/// The 32 bytes after `00 24 08 01 12 20` of an Ed25519 PeerId (handshake.md "Node ID").
fn peer_key(peer: &PeerId) -> Option<[u8; 32]> {
    let b = peer.to_bytes();
    if b.len() == 38 && b[..6] == [0x00, 0x24, 0x08, 0x01, 0x12, 0x20] {
        b[6..].try_into().ok()
    } else {
        None
    }
}

type FrameError = (u8, String);

/// Reads one frame from a stream whose point accepts `accepted` (type, largest L) of the
/// protocol's `defined` types; None at a clean end of stream. Nothing over a limit is
/// buffered: the decision comes from the header (framing.md "Frame limits").
async fn read_frame<S: AsyncRead + Unpin>(
    s: &mut S,
    accepted: &[(&str, u32)],
    defined: &[&str],
    ceiling: u32,
) -> Result<Option<(String, Vec<u8>)>, FrameError> {
    let mut l = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = s
            .read(&mut l[got..])
            .await
            .map_err(|e| (0, e.to_string()))?;
        if n == 0 {
            return if got == 0 {
                Ok(None)
            } else {
                Err((ERR_MALFORMED, "stream ended inside a frame".into()))
            };
        }
        got += n;
    }
    let l = u32::from_be_bytes(l);
    if l > ceiling {
        return Err((
            ERR_TOO_LARGE,
            format!("frame of L = {l} over the ceiling {ceiling}"),
        ));
    }
    if l < 3 {
        return Err((ERR_MALFORMED, format!("frame of L = {l}")));
    }
    let eof = |e: std::io::Error| (ERR_MALFORMED, format!("stream ended inside a frame: {e}"));
    let mut t = [0u8; 2];
    s.read_exact(&mut t).await.map_err(eof)?;
    let t = u16::from_be_bytes(t) as u32;
    if t == 0 || t > 32 || t > l - 2 {
        return Err((ERR_MALFORMED, format!("type length {t}")));
    }
    let mut kind = vec![0u8; t as usize];
    s.read_exact(&mut kind).await.map_err(eof)?;
    if !kind.iter().all(|&b| wire::valid_type_byte(b)) {
        return Err((ERR_MALFORMED, "bad type bytes".into()));
    }
    let kind = String::from_utf8(kind).unwrap();
    match accepted.iter().find(|(k, _)| *k == kind) {
        Some((_, max)) if l > *max => {
            return Err((ERR_TOO_LARGE, format!("{kind} of L = {l} over {max}")))
        }
        Some(_) => {}
        None if defined.contains(&kind.as_str()) => {
            return Err((ERR_UNEXPECTED, format!("unexpected {kind}")))
        }
        None => return Err((ERR_MALFORMED, format!("unknown type {kind}"))),
    }
    let mut payload = vec![0u8; (l - 2 - t) as usize];
    s.read_exact(&mut payload).await.map_err(eof)?;
    Ok(Some((kind, payload)))
}

async fn write_frame<S: AsyncWrite + Unpin>(
    s: &mut S,
    kind: &str,
    payload: &[u8],
) -> std::io::Result<()> {
    let frame = wire::encode_frame(kind, payload)
        .map_err(|c| std::io::Error::other(format!("encode 0x{c:02x}")))?;
    s.write_all(&frame).await?;
    s.flush().await
}

fn code(c: u8) -> String {
    format!("0x{c:02x}")
}

// ------------------------------------------------------------------ handshake

const HANDSHAKE_TYPES: &[&str] = &["handshake", "reject"];

fn our_handshake(ctx: &Ctx) -> Vec<u8> {
    let mut node_id = ctx.node_id;
    if ctx.broken("handshake") {
        node_id[0] ^= 0xff;
    }
    wire::encode_handshake(1, &ctx.chain_id, &node_id).expect("chain id")
}

/// Validates a received handshake (handshake.md "Validation order", "Key binding").
fn judge_handshake(
    ctx: &Ctx,
    peer: &PeerId,
    payload: &[u8],
) -> Result<wire::Handshake, FrameError> {
    let h = wire::decode_handshake(payload).map_err(|c| (c, "malformed handshake".to_string()))?;
    wire::check_handshake(&h, 1, &ctx.chain_id)
        .map_err(|c| (c, format!("chain ID mismatch: expected {}", ctx.chain_id)))?;
    if peer_key(peer) != Some(h.node_id) {
        return Err((ERR_MALFORMED, "node ID is not the connection's key".into()));
    }
    Ok(h)
}

async fn handshake_dialer(ctx: Arc<Ctx>, peer: PeerId) {
    let result: Result<wire::Handshake, FrameError> = async {
        let mut s = ctx
            .control()
            .open_stream(peer, HANDSHAKE)
            .await
            .map_err(|e| (0, e.to_string()))?;
        write_frame(&mut s, "handshake", &our_handshake(&ctx))
            .await
            .map_err(|e| (0, e.to_string()))?;
        let frame = tokio::time::timeout(
            Duration::from_secs(10),
            read_frame(
                &mut s,
                &[("handshake", 76), ("reject", 265)],
                HANDSHAKE_TYPES,
                265,
            ),
        )
        .await
        .map_err(|_| (0x03, "no answer".to_string()))??;
        let _ = s.close().await;
        match frame {
            None => Err((ERR_MALFORMED, "stream closed without an answer".into())),
            Some((k, p)) if k == "reject" => {
                let r = wire::decode_reject(&p).map_err(|c| (c, "malformed reject".to_string()))?;
                Err((r.code, format!("rejected: {}", r.reason)))
            }
            Some((_, p)) => judge_handshake(&ctx, &peer, &p),
        }
    }
    .await;
    finish_handshake(&ctx, peer, "dialer", result);
}

async fn handshake_listener(ctx: Arc<Ctx>, peer: PeerId, mut s: libp2p::Stream) {
    let result = async {
        let frame = tokio::time::timeout(
            Duration::from_secs(10),
            read_frame(&mut s, &[("handshake", 76)], HANDSHAKE_TYPES, 265),
        )
        .await
        .map_err(|_| (0x03, "no handshake".to_string()))?;
        let judged = match frame {
            Ok(Some((_, p))) => judge_handshake(&ctx, &peer, &p),
            Ok(None) => Err((ERR_MALFORMED, "stream closed without a handshake".into())),
            Err(e) => Err(e),
        };
        match &judged {
            Ok(_) => {
                write_frame(&mut s, "handshake", &our_handshake(&ctx))
                    .await
                    .map_err(|e| (0, e.to_string()))?;
                let _ = s.close().await;
            }
            Err((c, reason)) if *c != 0 => {
                let _ =
                    write_frame(&mut s, "reject", &wire::encode_reject(*c, reason).unwrap()).await;
                // handshake.md "Flow" 5: let the dialer hang up first, at most 1 s.
                let mut buf = [0u8; 64];
                let _ = tokio::time::timeout(Duration::from_secs(1), s.read(&mut buf)).await;
            }
            Err(_) => {}
        }
        judged
    }
    .await;
    finish_handshake(&ctx, peer, "listener", result);
}

fn finish_handshake(
    ctx: &Ctx,
    peer: PeerId,
    role: &str,
    result: Result<wire::Handshake, FrameError>,
) {
    let (ok, fields) = match result {
        Ok(h) => (
            true,
            json!({"peer": peer.to_string(), "role": role, "version": h.version,
                "chainId": h.chain_id, "nodeId": hex32(&h.node_id)}),
        ),
        Err((c, reason)) => (
            false,
            json!({"peer": peer.to_string(), "role": role, "code": c,
                "error": format!("{}: {reason}", code(c))}),
        ),
    };
    let _ = ctx
        .commands
        .send(Command::HandshakeDone { peer, ok, fields });
}

// ------------------------------------------------------------------ serving

const BLOCK_TYPES: &[&str] = &[
    "get_block",
    "get_blocks",
    "get_headers",
    "blocks",
    "headers",
    "not_found",
];

/// Answers `/paw/blocks/1` requests from the chain this peer holds (blocks.md).
async fn serve_blocks(ctx: Arc<Ctx>, peer: PeerId, mut s: libp2p::Stream) {
    loop {
        let frame = read_frame(
            &mut s,
            &[("get_block", 43), ("get_blocks", 18), ("get_headers", 19)],
            BLOCK_TYPES,
            BLOCKS_CEILING,
        )
        .await;
        let (kind, payload) = match frame {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err((c, reason)) => {
                ctx.emit(json!({"event": "stream_error", "protocol": "/paw/blocks/1", "peer": peer.to_string(), "error": code(c), "reason": reason}));
                break;
            }
        };
        let answer = {
            let store = ctx.store.lock().unwrap();
            match kind.as_str() {
                "get_headers" => wire::decode_range(&payload).map(|(start, count)| {
                    let h = store.headers(start, count);
                    (
                        "headers",
                        wire::encode_headers(&h).unwrap(),
                        json!({"start": start, "count": count, "answered": h.len()}),
                    )
                }),
                "get_blocks" => wire::decode_range(&payload).map(|(start, count)| {
                    let b = store.blocks(start, count);
                    (
                        "blocks",
                        wire::encode_blocks(&b).unwrap(),
                        json!({"start": start, "count": count, "answered": b.len()}),
                    )
                }),
                _ => wire::decode_hash(&payload).map(|hash| match store.by_hash.get(&hash) {
                    Some(b) => (
                        "blocks",
                        wire::encode_blocks(&[b.as_slice()]).unwrap(),
                        json!({"hash": hex32(&hash), "answered": 1}),
                    ),
                    None => (
                        "not_found",
                        hash.to_vec(),
                        json!({"hash": hex32(&hash), "answered": 0}),
                    ),
                }),
            }
        };
        match answer {
            Ok((answer_kind, bytes, mut info)) => {
                if write_frame(&mut s, answer_kind, &bytes).await.is_err() {
                    break;
                }
                info["event"] = json!("served");
                info["request"] = json!(kind);
                info["peer"] = json!(peer.to_string());
                ctx.emit(info);
            }
            Err(c) => {
                ctx.emit(json!({"event": "stream_error", "protocol": "/paw/blocks/1", "peer": peer.to_string(), "error": code(c), "reason": format!("malformed {kind}")}));
                break;
            }
        }
    }
    let _ = s.close().await;
}

/// `/paw/peers/1`: this peer offers no addresses, an empty list (peers.md).
async fn serve_peers(ctx: Arc<Ctx>, peer: PeerId, mut s: libp2p::Stream) {
    while let Ok(Some((_, payload))) = read_frame(
        &mut s,
        &[("get_peers", 12)],
        &["get_peers", "peers"],
        16_000,
    )
    .await
    {
        if payload != [1] || write_frame(&mut s, "peers", &[0, 0]).await.is_err() {
            break;
        }
        ctx.emit(json!({"event": "served", "request": "get_peers", "peer": peer.to_string(), "answered": 0}));
    }
    let _ = s.close().await;
}

fn accept_loop<F, Fut>(ctx: &Arc<Ctx>, protocol: StreamProtocol, handler: F)
where
    F: Fn(Arc<Ctx>, PeerId, libp2p::Stream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut incoming = ctx
        .control()
        .accept(protocol)
        .expect("protocol registered once");
    let ctx = ctx.clone();
    tokio::spawn(async move {
        while let Some((peer, stream)) = incoming.next().await {
            tokio::spawn(handler(ctx.clone(), peer, stream));
        }
    });
}

// ------------------------------------------------------------------ sync

async fn request<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    kind: &str,
    payload: &[u8],
    accepted: &[(&str, u32)],
) -> Result<(String, Vec<u8>), String> {
    write_frame(s, kind, payload)
        .await
        .map_err(|e| e.to_string())?;
    let frame = tokio::time::timeout(
        Duration::from_secs(30),
        read_frame(s, accepted, BLOCK_TYPES, BLOCKS_CEILING),
    )
    .await
    .map_err(|_| "answer timed out".to_string())?;
    match frame {
        Ok(Some(f)) => Ok(f),
        Ok(None) => Err(format!("stream closed instead of answering {kind}")),
        Err((c, r)) => Err(format!("{}: {r}", code(c))),
    }
}

/// Fetches `peer`'s best chain with get_headers / get_blocks and checks it: the genesis
/// hash (devnet), chain ID, heights, links, proof of work, transaction roots and signatures.
/// Adopts it if longer than ours.
async fn sync(ctx: Arc<Ctx>, peer: PeerId) -> Result<Value, String> {
    let _guard = ctx.sync_lock.lock().await;
    let mut s = ctx
        .control()
        .open_stream(peer, BLOCKS)
        .await
        .map_err(|e| e.to_string())?;
    let mut headers: Vec<Vec<u8>> = Vec::new();
    loop {
        let start = headers.len() as u64;
        let (_, p) = request(
            &mut s,
            "get_headers",
            &wire::encode_range(start, 512).unwrap(),
            &[("headers", 2 + 7 + 2 + 185 * 512)],
        )
        .await?;
        let page =
            wire::decode_headers(&p).map_err(|c| format!("{}: malformed headers", code(c)))?;
        if page.is_empty() {
            break;
        }
        headers.extend(page);
    }
    let mut hashes = Vec::with_capacity(headers.len());
    let genesis_expected = if ctx.broken("sync") {
        "00".repeat(32)
    } else {
        DEVNET_GENESIS.to_string()
    };
    for (i, hb) in headers.iter().enumerate() {
        let h = chain::decode_header(hb).ok_or(format!("header {i} does not decode"))?;
        let hash = chain::block_hash(hb);
        if h.chain_id != ctx.chain_id {
            return Err(format!("header {i}: chain {}", h.chain_id));
        }
        if h.height != i as u64 {
            return Err(format!("header {i}: height {}", h.height));
        }
        if i == 0 {
            if ctx.chain_id == "paw-devnet" && hex32(&hash) != genesis_expected {
                return Err(format!("genesis {} is not paw-devnet's", hex32(&hash)));
            }
        } else {
            if h.previous_hash != hashes[i - 1] {
                return Err(format!("header {i}: previousHash does not link"));
            }
            if !chain::meets_target(&hash, &h.target) {
                return Err(format!("header {i}: no proof of work"));
            }
        }
        hashes.push(hash);
    }
    if headers.is_empty() {
        return Ok(json!({"peer": peer.to_string(), "height": null, "headers": 0, "blocks": 0}));
    }
    let fork = {
        let store = ctx.store.lock().unwrap();
        store
            .hashes
            .iter()
            .zip(&hashes)
            .take_while(|(a, b)| a == b)
            .count()
    };
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    let mut transactions = 0usize;
    while fork + blocks.len() < headers.len() {
        let start = (fork + blocks.len()) as u64;
        let (_, p) = request(
            &mut s,
            "get_blocks",
            &wire::encode_range(start, 128).unwrap(),
            &[("blocks", BLOCKS_CEILING)],
        )
        .await?;
        let page = wire::decode_blocks(&p).map_err(|c| format!("{}: malformed blocks", code(c)))?;
        if page.is_empty() {
            return Err(format!("no blocks from height {start}, below its tip"));
        }
        for b in page {
            let i = fork + blocks.len();
            if i >= headers.len() {
                return Err("more blocks than headers".into());
            }
            let (h, txs) = chain::decode_block(&b).ok_or(format!("block {i} does not decode"))?;
            if b[..185] != headers[i][..] {
                return Err(format!("block {i} is not its header's"));
            }
            if !chain::body_matches(&h, &txs) {
                return Err(format!("block {i}: txRoot or duplicate transaction"));
            }
            if i > 0 {
                for (j, tx) in txs.iter().enumerate().skip(1) {
                    if !chain::verify_transaction(tx, &ctx.chain_id) {
                        return Err(format!("block {i}: transaction {j} signature"));
                    }
                }
            }
            transactions += txs.len();
            blocks.push(b);
        }
    }
    let _ = s.close().await;
    let fetched = blocks.len();
    let mut store = ctx.store.lock().unwrap();
    let adopted = headers.len() > store.hashes.len();
    if adopted {
        store.replace_from(fork, blocks);
    }
    let tip = hashes.last().unwrap();
    Ok(
        json!({"peer": peer.to_string(), "height": headers.len() - 1, "tip": hex32(tip),
        "headers": headers.len(), "blocks": fetched, "transactions": transactions, "adopted": adopted}),
    )
}

// ------------------------------------------------------------------ gossip

/// Judges a gossiped message before gossipsub forwards it (Accept), as a PAW node does:
/// blocks by proof of work, txRoot and signatures; transactions by signature; headers by
/// proof of work. The event: `gossip_block`, `gossip_tx` or `gossip_header` (as interop/go).
fn judge_gossip(
    ctx: &Ctx,
    message: &gossipsub::Message,
    from: &PeerId,
) -> (MessageAcceptance, Value) {
    let data = &message.data;
    let mut info = json!({"event": "gossip", "topic": message.topic.as_str(), "from": from.to_string(),
        "bytes": data.len()});
    let Some((chain_id, kind)) = chain::parse_topic(message.topic.as_str()) else {
        info["valid"] = json!(false);
        return (MessageAcceptance::Ignore, info);
    };
    let valid = chain_id == ctx.chain_id
        && match kind {
            Kind::Transactions => {
                info["event"] = json!("gossip_tx");
                info["hash"] = json!(hex32(&chain::sha256(data)));
                if data.len() == 152 {
                    info["sender"] = json!(hex32(&data[..32]));
                    info["nonce"] = json!(u64::from_be_bytes(data[80..88].try_into().unwrap()));
                }
                chain::verify_transaction(data, &ctx.chain_id)
            }
            Kind::Headers => {
                info["event"] = json!("gossip_header");
                match chain::decode_header(data) {
                    Some(h) => {
                        let hash = chain::block_hash(data);
                        info["height"] = json!(h.height);
                        info["hash"] = json!(hex32(&hash));
                        h.chain_id == ctx.chain_id && chain::meets_target(&hash, &h.target)
                    }
                    None => false,
                }
            }
            Kind::Blocks => {
                info["event"] = json!("gossip_block");
                match chain::decode_block(data) {
                    Some((h, txs)) => {
                        let hash = chain::block_hash(data);
                        info["height"] = json!(h.height);
                        info["hash"] = json!(hex32(&hash));
                        info["transactions"] = json!(txs
                            .iter()
                            .map(|t| hex32(&chain::sha256(t)))
                            .collect::<Vec<_>>());
                        let ok = h.chain_id == ctx.chain_id
                            && chain::meets_target(&hash, &h.target)
                            && chain::body_matches(&h, &txs)
                            && txs
                                .iter()
                                .skip(1)
                                .all(|t| chain::verify_transaction(t, &ctx.chain_id));
                        if ok {
                            let mut store = ctx.store.lock().unwrap();
                            let extended = store.extend(data, &h.previous_hash, h.height);
                            let behind = store.tip().is_none_or(|(tip, _)| h.height > tip);
                            drop(store);
                            info["extended"] = json!(extended);
                            if !extended && behind {
                                let _ = ctx.commands.send(Command::Sync {
                                    peer: *from,
                                    tag: Value::Null,
                                });
                            }
                        }
                        ok
                    }
                    None => false,
                }
            }
        };
    info["valid"] = json!(valid);
    let acceptance = if ctx.broken("relay") {
        MessageAcceptance::Ignore
    } else if valid {
        MessageAcceptance::Accept
    } else {
        MessageAcceptance::Reject
    };
    (acceptance, info)
}

/// `get_block`: the block by hash (blocks or not_found), checked against the hash asked.
async fn get_block(ctx: Arc<Ctx>, peer: PeerId, hash: [u8; 32]) -> Result<Value, String> {
    let mut s = ctx
        .control()
        .open_stream(peer, BLOCKS)
        .await
        .map_err(|e| e.to_string())?;
    let (kind, p) = request(
        &mut s,
        "get_block",
        &hash,
        &[("blocks", BLOCKS_CEILING), ("not_found", 43)],
    )
    .await?;
    let _ = s.close().await;
    if kind == "not_found" {
        return if p == hash {
            Ok(json!({"found": false}))
        } else {
            Err("not_found names another hash".into())
        };
    }
    let blocks = wire::decode_blocks(&p).map_err(|c| format!("{}: malformed blocks", code(c)))?;
    let [block] = blocks.as_slice() else {
        return Err(format!("{} blocks for one hash", blocks.len()));
    };
    let (h, txs) = chain::decode_block(block).ok_or("the block does not decode")?;
    if chain::block_hash(block) != hash || !chain::body_matches(&h, &txs) {
        return Err("not the block asked for".into());
    }
    Ok(json!({"found": true, "height": h.height, "transactions": txs.len()}))
}

// ------------------------------------------------------------------ commands

fn parse_command(ctx: &Ctx, line: &str) -> Result<Option<Command>, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let cmd = v["cmd"].as_str().ok_or("no \"cmd\"")?;
    let num = |k: &str, d: u64| -> Result<u64, String> {
        match &v[k] {
            Value::Null => Ok(d),
            Value::Number(n) => n.as_u64().ok_or(format!("{k}: not a u64")),
            Value::String(s) => s.parse().map_err(|_| format!("{k}: not a u64")),
            _ => Err(format!("{k}: not a u64")),
        }
    };
    let peer = || -> Result<PeerId, String> {
        v["peer"]
            .as_str()
            .ok_or("no \"peer\"")?
            .parse()
            .map_err(|e| format!("peer: {e}"))
    };
    let tag = v["tag"].clone();
    Ok(Some(match cmd {
        "dial" => Command::Dial {
            addr: v["addr"]
                .as_str()
                .ok_or("no \"addr\"")?
                .parse()
                .map_err(|e| format!("addr: {e}"))?,
            tag,
        },
        "sync" => Command::Sync { peer: peer()?, tag },
        "get_block" => Command::GetBlock {
            peer: peer()?,
            hash: hex::decode(v["hash"].as_str().ok_or("no \"hash\"")?)
                .ok()
                .and_then(|h| h.try_into().ok())
                .ok_or("hash: 32 bytes of hex")?,
            tag,
        },
        "quit" | "exit" => Command::Quit,
        // `from`: a devnet account; `to`: an account index or a hex address.
        "publish_tx" | "send_tx" => {
            let account = num("from", num("account", 0)?)? as u32;
            let seed = chain::devnet_seed(account);
            let to: [u8; 32] = match &v["to"] {
                Value::String(h) if h.len() == 64 => hex::decode(h)
                    .map_err(|e| e.to_string())?
                    .try_into()
                    .map_err(|_| "to: 32 bytes")?,
                Value::Null => chain::address_of(&chain::devnet_seed(account + 1)),
                _ => chain::address_of(&chain::devnet_seed(num("to", 0)? as u32)),
            };
            let t = chain::Transfer {
                to,
                amount: num("amount", 100_000_000)?,
                fee: num("fee", 10_000)?,
                nonce: num("nonce", 0)?,
            };
            let mut tx = chain::sign_transaction(&seed, &t, &ctx.chain_id);
            if ctx.broken("signature") {
                tx[100] ^= 1;
            }
            let id = hex32(&chain::sha256(&tx));
            Command::Publish {
                kind: Kind::Transactions,
                label: json!({"event": "publish_tx", "tag": tag, "hash": id, "sender": hex32(&tx[..32]),
                    "to": hex32(&t.to), "nonce": t.nonce, "hex": hex::encode(&tx)}),
                data: tx,
            }
        }
        "publish" => {
            let kind = match v["kind"].as_str() {
                Some("blocks") => Kind::Blocks,
                Some("headers") => Kind::Headers,
                _ => Kind::Transactions,
            };
            let data =
                hex::decode(v["data"].as_str().ok_or("no \"data\"")?).map_err(|e| e.to_string())?;
            Command::Publish {
                kind,
                label: json!({"event": "publish", "tag": tag, "kind": kind.name()}),
                data,
            }
        }
        other => return Err(format!("unknown command {other}")),
    }))
}

// ------------------------------------------------------------------ main

struct Args {
    chain_id: String,
    listen: Vec<Multiaddr>,
    dial: Vec<Multiaddr>,
    security: String,
    key_seed: Option<[u8; 32]>,
    auto_sync: bool,
    breaks: Vec<String>,
}

fn usage() -> ! {
    eprintln!(
        "usage: paw-rust-peer [--chain ID] [--listen MULTIADDR]... [--dial MULTIADDR]... \
         [--security noise|tls|noise,tls|tls,noise] [--key-seed HEX32] [--no-sync] [--break WHAT[,WHAT]]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        chain_id: "paw-devnet".into(),
        listen: vec![],
        dial: vec![],
        security: "noise,tls".into(),
        key_seed: None,
        auto_sync: true,
        breaks: vec![],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--chain" | "--chain-id" => a.chain_id = value(),
            "--listen" => a.listen.push(value().parse().unwrap_or_else(|_| usage())),
            "--dial" => a.dial.push(value().parse().unwrap_or_else(|_| usage())),
            "--security" => a.security = value(),
            "--key-seed" => {
                a.key_seed = Some(
                    hex::decode(value())
                        .ok()
                        .and_then(|b| b.try_into().ok())
                        .unwrap_or_else(|| usage()),
                )
            }
            "--no-sync" => a.auto_sync = false,
            "--break" => a.breaks.extend(value().split(',').map(str::to_string)),
            _ => usage(),
        }
    }
    if a.listen.is_empty() {
        a.listen = vec![
            "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
            "/ip4/127.0.0.1/tcp/0/ws".parse().unwrap(),
        ];
    }
    if wire::chain_id_field(&a.chain_id).is_err()
        || !["noise", "tls", "noise,tls", "tls,noise"].contains(&a.security.as_str())
    {
        usage()
    }
    a
}

fn behaviour(key: &identity::Keypair) -> Result<Behaviour, Box<dyn Error + Send + Sync>> {
    let config = gossipsub::ConfigBuilder::default()
        .validation_mode(ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(|m: &gossipsub::Message| {
            MessageId::from(chain::message_id(m.topic.as_str(), &m.data))
        })
        .max_transmit_size(MAX_RPC)
        .heartbeat_interval(Duration::from_secs(1))
        .build()?;
    Ok(Behaviour {
        gossipsub: gossipsub::Behaviour::new(MessageAuthenticity::Anonymous, config)?,
        identify: identify::Behaviour::new(
            identify::Config::new("/paw/1.0.0".into(), key.public())
                .with_agent_version(AGENT.into()),
        ),
        ping: ping::Behaviour::new(ping::Config::new()),
        stream: libp2p_stream::Behaviour::new(),
    })
}

/// One swarm per security choice: the builder's types differ, the swarm's do not. With two,
/// the first is proposed first (multistream-select) and both are accepted.
async fn build_swarm(
    key: identity::Keypair,
    security: &str,
) -> Result<Swarm<Behaviour>, Box<dyn Error>> {
    let idle = |c: libp2p::swarm::Config| c.with_idle_connection_timeout(Duration::from_secs(3600));
    let tcp = || tcp::Config::default().nodelay(true);
    macro_rules! swarm {
        ($sec:expr) => {
            libp2p::SwarmBuilder::with_existing_identity(key)
                .with_tokio()
                .with_tcp(tcp(), $sec, yamux::Config::default)?
                .with_websocket($sec, yamux::Config::default)
                .await?
                .with_behaviour(|k| behaviour(k))?
                .with_swarm_config(idle)
                .build()
        };
    }
    Ok(match security {
        "tls" => swarm!(tls::Config::new),
        "noise" => swarm!(noise::Config::new),
        "tls,noise" => swarm!((tls::Config::new, noise::Config::new)),
        _ => swarm!((noise::Config::new, tls::Config::new)),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args();
    let key = match args.key_seed {
        Some(seed) => identity::Keypair::ed25519_from_bytes(seed)?,
        None => identity::Keypair::generate_ed25519(),
    };
    let node_id = key.public().try_into_ed25519()?.to_bytes();
    let mut swarm = build_swarm(key, &args.security).await?;
    let local = *swarm.local_peer_id();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ctx = Arc::new(Ctx {
        chain_id: args.chain_id.clone(),
        node_id,
        store: Mutex::new(Store::default()),
        sync_lock: tokio::sync::Mutex::new(()),
        control: Mutex::new(swarm.behaviour().stream.new_control()),
        commands: tx.clone(),
        started: Instant::now(),
        broken: [
            std::env::var("PAW_RUST_BREAK").unwrap_or_default(),
            args.breaks.join(","),
        ]
        .join(","),
    });
    accept_loop(&ctx, HANDSHAKE, handshake_listener);
    accept_loop(&ctx, BLOCKS, serve_blocks);
    accept_loop(&ctx, PEERS, serve_peers);
    for kind in [Kind::Blocks, Kind::Transactions, Kind::Headers] {
        swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(&IdentTopic::new(chain::topic(&ctx.chain_id, kind).unwrap()))?;
    }
    for addr in &args.listen {
        swarm.listen_on(addr.clone())?;
    }
    for addr in &args.dial {
        swarm.dial(addr.clone())?;
    }

    // Commands from stdin, one JSON object a line.
    {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            use tokio::io::AsyncBufReadExt;
            let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if line.trim().is_empty() {
                    continue;
                }
                match parse_command(&ctx, &line) {
                    Ok(Some(c)) => {
                        let _ = ctx.commands.send(c);
                    }
                    Ok(None) => {}
                    Err(e) => ctx.emit(json!({"event": "error", "error": e, "line": line})),
                }
            }
        });
    }

    let mut handshaken: HashSet<PeerId> = HashSet::new();
    let mut pending_dials: HashMap<PeerId, Value> = HashMap::new();
    let mut listening: Vec<String> = Vec::new();
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            _ = sigterm.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
            cmd = rx.recv() => match cmd {
                None | Some(Command::Quit) => break,
                Some(Command::Dial { addr, tag }) => {
                    // The result is the dialer handshake's ("dial" event), or the dial's error.
                    let peer = addr.iter().find_map(|p| match p {
                        libp2p::multiaddr::Protocol::P2p(id) => Some(id),
                        _ => None,
                    });
                    match (peer, swarm.dial(addr.clone())) {
                        (_, Err(e)) => ctx.emit(json!({"event": "dial", "ok": false, "tag": tag, "addr": addr.to_string(), "error": e.to_string()})),
                        (Some(p), Ok(())) => { pending_dials.insert(p, tag); }
                        (None, Ok(())) => {}
                    }
                }
                Some(Command::HandshakeDone { peer, ok, mut fields }) => {
                    fields["ok"] = json!(ok);
                    fields["event"] = json!("handshake");
                    ctx.emit(fields.clone());
                    if fields["role"] == "dialer" {
                        if let Some(tag) = pending_dials.remove(&peer) {
                            fields["event"] = json!("dial");
                            fields["tag"] = tag;
                            ctx.emit(fields);
                        }
                    }
                    if ok {
                        handshaken.insert(peer);
                        if args.auto_sync {
                            let _ = tx.send(Command::Sync { peer, tag: Value::Null });
                        }
                    } else {
                        let _ = swarm.disconnect_peer_id(peer);
                    }
                }
                Some(Command::Sync { peer, tag }) => {
                    let ctx = ctx.clone();
                    tokio::spawn(async move {
                        let mut v = match sync(ctx.clone(), peer).await {
                            Ok(mut v) => { v["ok"] = json!(true); v }
                            Err(e) => json!({"ok": false, "peer": peer.to_string(), "error": e}),
                        };
                        v["event"] = json!("sync");
                        v["tag"] = tag;
                        ctx.emit(v);
                    });
                }
                Some(Command::GetBlock { peer, hash, tag }) => {
                    let ctx = ctx.clone();
                    tokio::spawn(async move {
                        let mut v = match get_block(ctx.clone(), peer, hash).await {
                            Ok(mut v) => { v["ok"] = json!(true); v }
                            Err(e) => json!({"ok": false, "error": e}),
                        };
                        v["event"] = json!("get_block");
                        v["peer"] = json!(peer.to_string());
                        v["hash"] = json!(hex32(&hash));
                        v["tag"] = tag;
                        ctx.emit(v);
                    });
                }
                Some(Command::Publish { kind, data, mut label }) => {
                    let topic = IdentTopic::new(chain::topic(&ctx.chain_id, kind).unwrap());
                    label["topic"] = json!(topic.to_string());
                    match swarm.behaviour_mut().gossipsub.publish(topic, data) {
                        Ok(id) => { label["ok"] = json!(true); label["id"] = json!(hex::encode(id.0)); }
                        Err(e) => { label["ok"] = json!(false); label["error"] = json!(e.to_string()); }
                    }
                    ctx.emit(label);
                }
            },
            event = swarm.select_next_some() => match event {
                SwarmEvent::NewListenAddr { address, .. } => {
                    // One "listening" line once every listener has its address.
                    listening.push(format!("{address}/p2p/{local}"));
                    if listening.len() == args.listen.len() {
                        ctx.emit(json!({"event": "listening", "peer": local.to_string(), "addrs": listening,
                            "chainId": ctx.chain_id, "agent": AGENT, "security": args.security,
                            "protocols": [HANDSHAKE.as_ref(), BLOCKS.as_ref(), PEERS.as_ref()]}));
                    }
                }
                SwarmEvent::ConnectionEstablished { peer_id, endpoint, num_established, .. } => {
                    let (role, addr) = match &endpoint {
                        ConnectedPoint::Dialer { address, .. } => ("dialer", address.to_string()),
                        ConnectedPoint::Listener { send_back_addr, .. } => ("listener", send_back_addr.to_string()),
                    };
                    ctx.emit(json!({"event": "connected", "peer": peer_id.to_string(), "role": role, "address": addr}));
                    // handshake.md "Flow": the dialer of the connection opens the handshake.
                    if endpoint.is_dialer() && num_established.get() == 1 {
                        tokio::spawn(handshake_dialer(ctx.clone(), peer_id));
                    }
                }
                SwarmEvent::ConnectionClosed { peer_id, num_established, cause, .. } => {
                    if num_established == 0 {
                        handshaken.remove(&peer_id);
                        ctx.emit(json!({"event": "disconnected", "peer": peer_id.to_string(),
                            "cause": cause.map(|c| c.to_string())}));
                    }
                }
                SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                    let tag = peer_id.and_then(|p| pending_dials.remove(&p)).unwrap_or(Value::Null);
                    ctx.emit(json!({"event": "dial", "ok": false, "tag": tag, "peer": peer_id.map(|p| p.to_string()), "error": error.to_string()}));
                }
                SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(e)) => match e {
                    gossipsub::Event::Message { propagation_source, message_id, message } => {
                        let (acceptance, mut info) = judge_gossip(&ctx, &message, &propagation_source);
                        info["id"] = json!(hex::encode(&message_id.0));
                        swarm.behaviour_mut().gossipsub.report_message_validation_result(&message_id, &propagation_source, acceptance);
                        ctx.emit(info);
                    }
                    gossipsub::Event::Subscribed { peer_id, topic, .. } => {
                        ctx.emit(json!({"event": "subscribed", "peer": peer_id.to_string(), "topic": topic.as_str()}));
                    }
                    gossipsub::Event::GossipsubNotSupported { peer_id } => {
                        ctx.emit(json!({"event": "no_gossipsub", "peer": peer_id.to_string()}));
                    }
                    _ => {}
                },
                SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. })) => {
                    ctx.emit(json!({"event": "identified", "peer": peer_id.to_string(), "agent": info.agent_version}));
                }
                _ => {}
            }
        }
    }
    ctx.emit(json!({"event": "exit"}));
    Ok(())
}
