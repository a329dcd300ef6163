//! protocols/*.vectors.json through this peer's own decoders (protocols/README.md "Test vectors").

use std::collections::{HashMap, HashSet};

use paw_rust_peer::chain;
use paw_rust_peer::wire::{self, FrameDecoder, Limits, Report};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!(
        "{}/../../protocols/{name}.vectors.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect("json")
}

/// A byte field: hex, or a list of hex / {hex, repeat} / {counter, width} segments.
fn bytes(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => hex::decode(s).expect("hex"),
        Value::Array(parts) => parts.iter().flat_map(bytes).collect(),
        Value::Object(o) if o.contains_key("repeat") => {
            bytes(&o["hex"]).repeat(o["repeat"].as_u64().unwrap() as usize)
        }
        Value::Object(o) if o.contains_key("counter") => {
            let w = o["width"].as_u64().unwrap() as usize;
            (0..o["counter"].as_u64().unwrap() as u32)
                .flat_map(|i| {
                    let mut e = vec![0u8; w - 4];
                    e.extend_from_slice(&i.to_be_bytes());
                    e
                })
                .collect()
        }
        other => panic!("not a byte field: {other}"),
    }
}

fn error_code(v: &Value) -> u8 {
    u8::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn expected(v: &Value) -> Vec<Report> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| match e.get("error") {
            Some(c) => Report::Error {
                code: error_code(c),
                fatal: e.get("fatal").and_then(Value::as_bool).unwrap_or(false),
                at_end: e.get("atEnd").and_then(Value::as_bool).unwrap_or(false),
            },
            None => Report::Frame {
                kind: e["type"].as_str().unwrap().into(),
                payload: bytes(&e["payload"]),
            },
        })
        .collect()
}

fn limits(v: &Value) -> Limits {
    Limits {
        accepted: v["accepted"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, l)| (k.clone(), l.as_u64().unwrap() as u32))
            .collect::<HashMap<_, _>>(),
        defined: v["defined"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect::<HashSet<_>>(),
        ceiling: v["ceiling"].as_u64().unwrap() as u32,
    }
}

fn decode_split(input: &[u8], limits: Option<Limits>, cuts: &[usize]) -> Vec<Report> {
    let mut d = FrameDecoder::new(limits);
    let mut out = Vec::new();
    let mut at = 0;
    for &c in cuts.iter().chain([input.len()].iter()) {
        let c = c.min(input.len()).max(at);
        d.push(&input[at..c], &mut out);
        at = c;
    }
    d.end(&mut out);
    out
}

/// Every split the project's own test uses: whole, byte by byte (≤ 4 KiB) or 64 KiB
/// chunks, and cuts after bytes 1, 5 and 7.
fn check_framing(name: &str, input: &[u8], lim: Option<Limits>, want: &[Report]) {
    let whole = decode_split(input, lim.clone(), &[]);
    assert_eq!(whole, want, "{name}: one chunk");
    let step = if input.len() <= 4096 { 1 } else { 65536 };
    let cuts: Vec<usize> = (step..input.len()).step_by(step).collect();
    assert_eq!(
        decode_split(input, lim.clone(), &cuts),
        want,
        "{name}: chunks of {step}"
    );
    assert_eq!(
        decode_split(input, lim, &[1, 5, 7]),
        want,
        "{name}: cut at 1, 5, 7"
    );
}

#[test]
fn framing_vectors() {
    let v = load("framing");
    let mut n = 0;
    for group in ["valid", "invalid"] {
        for t in v[group].as_array().unwrap() {
            let want = expected(&t["expect"]);
            check_framing(
                t["name"].as_str().unwrap(),
                &bytes(&t["input"]),
                None,
                &want,
            );
            // A valid vector's frames encode back to its input.
            if group == "valid" && want.iter().all(|r| matches!(r, Report::Frame { .. })) {
                let encoded: Vec<u8> = want
                    .iter()
                    .flat_map(|r| match r {
                        Report::Frame { kind, payload } => {
                            wire::encode_frame(kind, payload).unwrap()
                        }
                        _ => unreachable!(),
                    })
                    .collect();
                assert_eq!(encoded, bytes(&t["input"]), "{}: encode", t["name"]);
            }
            n += 1;
        }
    }
    for t in v["limits"].as_array().unwrap() {
        check_framing(
            t["name"].as_str().unwrap(),
            &bytes(&t["input"]),
            Some(limits(&t["limits"])),
            &expected(&t["expect"]),
        );
        n += 1;
    }
    assert_eq!(n, 7 + 14 + 11);
}

#[test]
fn handshake_vectors() {
    let v = load("handshake");
    let local = v["local"]["chainId"].as_str().unwrap();
    let f = &v["frame"];
    let frame = bytes(&f["hex"]);
    let reports = decode_split(&frame, None, &[]);
    assert_eq!(
        reports,
        vec![Report::Frame {
            kind: "handshake".into(),
            payload: bytes(&f["payload"])
        }]
    );
    assert_eq!(
        wire::encode_frame("handshake", &bytes(&f["payload"])).unwrap(),
        frame
    );
    for t in v["handshake"]["valid"].as_array().unwrap() {
        let p = bytes(&t["payload"]);
        let h = wire::decode_handshake(&p).unwrap_or_else(|c| panic!("{}: 0x{c:02x}", t["name"]));
        let want = &t["handshake"];
        assert_eq!(h.version as u64, want["version"].as_u64().unwrap());
        assert_eq!(h.chain_id, want["chainId"].as_str().unwrap());
        assert_eq!(hex::encode(h.node_id), want["nodeId"].as_str().unwrap());
        assert_eq!(
            wire::encode_handshake(h.version, &h.chain_id, &h.node_id).unwrap(),
            p
        );
    }
    for t in v["handshake"]["invalid"].as_array().unwrap() {
        let got = wire::decode_handshake(&bytes(&t["payload"]))
            .and_then(|h| wire::check_handshake(&h, 1, local));
        assert_eq!(got, Err(error_code(&t["error"])), "{}", t["name"]);
    }
    for t in v["handshake"]["encodeInvalid"].as_array().unwrap() {
        let got = wire::encode_handshake(1, t["chainId"].as_str().unwrap(), &[0; 32]);
        assert_eq!(got, Err(error_code(&t["error"])), "{}", t["name"]);
    }
    for t in v["reject"]["valid"].as_array().unwrap() {
        let p = bytes(&t["payload"]);
        let r = wire::decode_reject(&p).unwrap();
        assert_eq!(r.code as u64, t["reject"]["code"].as_u64().unwrap());
        assert_eq!(r.reason, t["reject"]["reason"].as_str().unwrap());
        assert_eq!(wire::encode_reject(r.code, &r.reason).unwrap(), p);
    }
    for t in v["reject"]["invalid"].as_array().unwrap() {
        assert_eq!(
            wire::decode_reject(&bytes(&t["payload"])),
            Err(error_code(&t["error"])),
            "{}",
            t["name"]
        );
    }
}

/// `blocks` / `headers` entries: a byte field, or { block | header, count }.
fn entries(list: &Value, key: &str) -> Vec<Vec<u8>> {
    list.as_array()
        .unwrap()
        .iter()
        .flat_map(|e| match e.get("count") {
            Some(c) if e.get(key).is_some() => vec![bytes(&e[key]); c.as_u64().unwrap() as usize],
            _ => vec![bytes(e)],
        })
        .collect()
}

#[test]
fn blocks_vectors() {
    let v = load("blocks");
    for t in v["frames"].as_array().unwrap() {
        let frame = bytes(&t["hex"]);
        assert_eq!(
            wire::encode_frame(t["type"].as_str().unwrap(), &bytes(&t["payload"])).unwrap(),
            frame
        );
        assert_eq!(
            decode_split(&frame, None, &[]),
            vec![Report::Frame {
                kind: t["type"].as_str().unwrap().into(),
                payload: bytes(&t["payload"])
            }]
        );
    }
    for group in ["getBlock", "notFound"] {
        for t in v[group]["valid"].as_array().unwrap() {
            assert_eq!(
                hex::encode(wire::decode_hash(&bytes(&t["payload"])).unwrap()),
                t["hash"].as_str().unwrap()
            );
        }
        for t in v[group]["invalid"].as_array().unwrap() {
            assert_eq!(
                wire::decode_hash(&bytes(&t["payload"])).err(),
                Some(error_code(&t["error"])),
                "{}",
                t["name"]
            );
        }
        for t in v[group]["encodeInvalid"].as_array().unwrap() {
            assert!(bytes(&t["hash"]).len() != 32, "{}", t["name"]);
        }
    }
    for group in ["getBlocks", "getHeaders"] {
        for t in v[group]["valid"].as_array().unwrap() {
            let p = bytes(&t["payload"]);
            let (s, c) = wire::decode_range(&p).unwrap();
            assert_eq!(
                (s as u64, c as u64),
                (
                    t["startHeight"].as_u64().unwrap(),
                    t["count"].as_u64().unwrap()
                )
            );
            assert_eq!(wire::encode_range(s as u64, c as u64).unwrap(), p);
        }
        for t in v[group]["invalid"].as_array().unwrap() {
            assert_eq!(
                wire::decode_range(&bytes(&t["payload"])).err(),
                Some(error_code(&t["error"])),
                "{}",
                t["name"]
            );
        }
        for t in v[group]["encodeInvalid"].as_array().unwrap() {
            let got = wire::encode_range(
                t["startHeight"].as_u64().unwrap_or(u64::MAX),
                t["count"].as_u64().unwrap_or(u64::MAX),
            );
            assert_eq!(got.err(), Some(error_code(&t["error"])), "{}", t["name"]);
        }
    }
    for t in v["blocks"]["valid"].as_array().unwrap() {
        let p = bytes(&t["payload"]);
        let want = entries(&t["blocks"], "block");
        assert_eq!(wire::decode_blocks(&p).unwrap(), want, "{}", t["name"]);
        let refs: Vec<&[u8]> = want.iter().map(|b| b.as_slice()).collect();
        assert_eq!(wire::encode_blocks(&refs).unwrap(), p, "{}", t["name"]);
    }
    for t in v["blocks"]["invalid"].as_array().unwrap() {
        assert_eq!(
            wire::decode_blocks(&bytes(&t["payload"])).err(),
            Some(error_code(&t["error"])),
            "{}",
            t["name"]
        );
    }
    for t in v["blocks"]["encodeInvalid"].as_array().unwrap() {
        let list = entries(&t["blocks"], "block");
        let refs: Vec<&[u8]> = list.iter().map(|b| b.as_slice()).collect();
        assert_eq!(
            wire::encode_blocks(&refs).err(),
            Some(error_code(&t["error"])),
            "{}",
            t["name"]
        );
    }
    for t in v["headers"]["valid"].as_array().unwrap() {
        let p = bytes(&t["payload"]);
        let want = entries(&t["headers"], "header");
        assert_eq!(wire::decode_headers(&p).unwrap(), want, "{}", t["name"]);
        let refs: Vec<&[u8]> = want.iter().map(|b| b.as_slice()).collect();
        assert_eq!(wire::encode_headers(&refs).unwrap(), p);
    }
    for t in v["headers"]["invalid"].as_array().unwrap() {
        assert_eq!(
            wire::decode_headers(&bytes(&t["payload"])).err(),
            Some(error_code(&t["error"])),
            "{}",
            t["name"]
        );
    }
    for t in v["headers"]["encodeInvalid"].as_array().unwrap() {
        let list = entries(&t["headers"], "header");
        let refs: Vec<&[u8]> = list.iter().map(|b| b.as_slice()).collect();
        assert_eq!(
            wire::encode_headers(&refs).err(),
            Some(error_code(&t["error"])),
            "{}",
            t["name"]
        );
    }
    for t in v["trimming"].as_array().unwrap() {
        let (start, count, tip) = (
            t["startHeight"].as_u64().unwrap(),
            t["count"].as_u64().unwrap(),
            t["tipHeight"].as_u64().unwrap(),
        );
        let mut n = if t["request"] == "get_headers" {
            wire::range_to_serve(start, count, 512, tip)
        } else {
            wire::range_to_serve(start, count, 128, tip)
        };
        if let Some(runs) = t.get("blockLengths").and_then(Value::as_array) {
            let lengths: Vec<usize> = runs
                .iter()
                .flat_map(|r| {
                    vec![
                        r["length"].as_u64().unwrap() as usize;
                        r["count"].as_u64().unwrap() as usize
                    ]
                })
                .take(n as usize)
                .collect();
            n = wire::blocks_that_fit(&lengths) as u64;
        }
        assert_eq!(n, t["answerCount"].as_u64().unwrap(), "{}", t["name"]);
    }
    // The sample block: hash, proof of work, txRoot, signatures.
    let s = &v["samples"]["block"];
    let block = bytes(&s["hex"]);
    let (h, txs) = chain::decode_block(&block).unwrap();
    assert_eq!(
        hex::encode(chain::block_hash(&block)),
        s["hash"].as_str().unwrap()
    );
    assert_eq!(hex::encode(&block[..185]), s["header"].as_str().unwrap());
    assert!(chain::meets_target(&chain::block_hash(&block), &h.target));
    assert!(chain::body_matches(&h, &txs));
    assert!(txs
        .iter()
        .skip(1)
        .all(|t| chain::verify_transaction(t, "paw-devnet")));
    assert_eq!(
        hex::encode(h.previous_hash),
        v["samples"]["genesisHash"].as_str().unwrap()
    );
}

#[test]
fn gossip_vectors() {
    let v = load("gossip");
    for t in v["messageIds"]
        .as_array()
        .unwrap()
        .iter()
        .chain(v["twins"].as_array().unwrap())
    {
        let id = chain::message_id(t["topic"].as_str().unwrap(), &bytes(&t["data"]));
        assert_eq!(hex::encode(id), t["id"].as_str().unwrap(), "{}", t["name"]);
    }
    for t in v["topics"]["valid"].as_array().unwrap() {
        let c = t["chainId"].as_str().unwrap();
        for kind in [
            chain::Kind::Blocks,
            chain::Kind::Transactions,
            chain::Kind::Headers,
        ] {
            let topic = chain::topic(c, kind).unwrap();
            assert_eq!(topic, t[kind.name()].as_str().unwrap());
            assert_eq!(chain::parse_topic(&topic), Some((c.to_string(), kind)));
        }
    }
    for t in v["topics"]["invalid"].as_array().unwrap() {
        assert_eq!(
            chain::parse_topic(t["topic"].as_str().unwrap()),
            None,
            "{}",
            t["name"]
        );
    }
    for t in v["topics"]["encodeInvalid"].as_array().unwrap() {
        assert_eq!(
            chain::topic(t["chainId"].as_str().unwrap(), chain::Kind::Blocks),
            None,
            "{}",
            t["name"]
        );
    }
    let s = &v["samples"]["block"];
    let block = bytes(&s["hex"]);
    assert_eq!(
        hex::encode(chain::block_hash(&block)),
        s["hash"].as_str().unwrap()
    );
    let (h, txs) = chain::decode_block(&block).unwrap();
    assert_eq!(
        hex::encode(chain::merkle_root(
            &txs.iter().map(|t| chain::sha256(t)).collect::<Vec<_>>()
        )),
        s["txRoot"].as_str().unwrap()
    );
    assert_eq!(hex::encode(h.tx_root), s["txRoot"].as_str().unwrap());
}

#[test]
fn mempool_sample_signatures_and_devnet_keys() {
    let v = load("mempool");
    let chain_id = v["samples"]["chainId"].as_str().unwrap();
    for t in v["samples"]["transactions"].as_array().unwrap() {
        let tx = bytes(&t["hex"]);
        assert_eq!(hex::encode(chain::sha256(&tx)), t["hash"].as_str().unwrap());
        assert!(chain::verify_transaction(&tx, chain_id), "{}", t["name"]);
        assert!(
            !chain::verify_transaction(&tx, "paw-testnet"),
            "{}: another chain",
            t["name"]
        );
    }
    // docs/chain.md "Built-in chains": account 0's seed and address.
    let seed = chain::devnet_seed(0);
    assert_eq!(
        hex::encode(seed),
        "19ba828811889dd49ab282719639686323218ca0b53b0e8e9410cf90f10a6670"
    );
    assert_eq!(
        hex::encode(chain::address_of(&seed)),
        "532684725070fccab7954b10686fcfa3439a5ffc1a5e5232c9dbdc02f18504e5"
    );
    let t = chain::Transfer {
        to: [7; 32],
        amount: 1,
        fee: 2,
        nonce: 3,
    };
    assert!(chain::verify_transaction(
        &chain::sign_transaction(&seed, &t, "paw-devnet"),
        "paw-devnet"
    ));
}

/// docs/chain.md "Signed message": each of the four strict rules refuses what it names.
#[test]
fn strict_signature_rules() {
    use ed25519_dalek::Signer;
    let key = ed25519_dalek::SigningKey::from_bytes(&chain::devnet_seed(0));
    let a = key.verifying_key().to_bytes();
    let msg = b"paw strict rules";
    let sig = key.sign(msg).to_bytes();
    assert!(chain::verify_strict_rules(&a, &sig, msg));
    assert!(!chain::verify_strict_rules(&a, &sig, b"another message"));
    // Rule 2: S + L (same point equation, not canonical) is refused.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut malleated = sig;
    let mut carry = 0u16;
    for i in 0..32 {
        let v = malleated[32 + i] as u16 + L[i] as u16 + carry;
        malleated[32 + i] = v as u8;
        carry = v >> 8;
    }
    assert!(!chain::verify_strict_rules(&a, &malleated, msg));
    // Rule 3: a small-order key (the identity, y = 1) is refused whatever the signature.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert!(!chain::verify_strict_rules(&identity, &sig, msg));
    // Rule 1: y = 1 with the sign bit set (x = 0, "−0") and y ≥ p do not decode.
    let mut minus_zero = identity;
    minus_zero[31] |= 0x80;
    let mut r_bad = sig;
    r_bad[..32].copy_from_slice(&minus_zero);
    assert!(!chain::verify_strict_rules(&a, &r_bad, msg));
    let mut y_big = [0xffu8; 32];
    y_big[0] = 0xee; // p + 1, which reduces to y = 1
    y_big[31] = 0x7f;
    assert!(!chain::verify_strict_rules(&y_big, &sig, msg));
    // Rule 4 is cofactored: a signature whose R carries a point of order 2 (y = −1, x = 0)
    // verifies; ed25519-dalek's cofactorless verify_strict refuses it.
    use curve25519_dalek::{edwards::CompressedEdwardsY, EdwardsPoint, Scalar};
    use sha2::{Digest, Sha512};
    let expanded: [u8; 64] = Sha512::digest(chain::devnet_seed(0)).into();
    let mut lower: [u8; 32] = expanded[..32].try_into().unwrap();
    lower[0] &= 248;
    lower[31] &= 127;
    lower[31] |= 64;
    let secret = Scalar::from_bytes_mod_order(lower);
    let mut minus_one = [0xffu8; 32];
    minus_one[0] = 0xec;
    minus_one[31] = 0x7f;
    let t2 = CompressedEdwardsY(minus_one).decompress().unwrap();
    let nonce = Scalar::from_bytes_mod_order([7u8; 32]);
    let r = (EdwardsPoint::mul_base(&nonce) + t2).compress().to_bytes();
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(msg);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let mut torsioned = [0u8; 64];
    torsioned[..32].copy_from_slice(&r);
    torsioned[32..].copy_from_slice((nonce + k * secret).as_bytes());
    assert!(chain::verify_strict_rules(&a, &torsioned, msg));
    let dalek = ed25519_dalek::Signature::from_bytes(&torsioned);
    assert!(key.verifying_key().verify_strict(msg, &dalek).is_err());
}
