#!/usr/bin/env python3
"""
An implementation of protocols/compact-blocks.md "Short ids" written from the document
alone, in Python, independent of the node's TypeScript: SipHash-2-4 (Aumasson and
Bernstein, 2012) on plain integers, the key from SHA-256(block id || nonce), the short id
as the low 48 bits, little-endian. test/wire/compact-vectors.ts runs it on the vectors and
fails if the two implementations disagree.

  python3 test/wire/short-id.py < requests.json > answers.json

Input: {"siphash": [{"key": hex, "message": hex}], "shortIds": [{"blockId": hex,
"nonce": hex, "transactionId": hex}]}; output: the same lists with "hash" / "key" and
"shortId" filled in.
"""
import hashlib
import json
import sys

MASK = (1 << 64) - 1


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & MASK


def sipround(v0, v1, v2, v3):
    v0 = (v0 + v1) & MASK; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    v2 = (v2 + v3) & MASK; v3 = rotl(v3, 16); v3 ^= v2
    v0 = (v0 + v3) & MASK; v3 = rotl(v3, 21); v3 ^= v0
    v2 = (v2 + v1) & MASK; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    return v0, v1, v2, v3


def siphash24(key: bytes, message: bytes) -> bytes:
    k0 = int.from_bytes(key[0:8], 'little')
    k1 = int.from_bytes(key[8:16], 'little')
    v0 = k0 ^ 0x736f6d6570736575
    v1 = k1 ^ 0x646f72616e646f6d
    v2 = k0 ^ 0x6c7967656e657261
    v3 = k1 ^ 0x7465646279746573
    whole = len(message) - len(message) % 8
    blocks = [message[i:i + 8] for i in range(0, whole, 8)]
    blocks.append(message[whole:] + bytes(7 - len(message) % 8) + bytes([len(message) & 0xff]))
    for block in blocks:
        m = int.from_bytes(block, 'little')
        v3 ^= m
        v0, v1, v2, v3 = sipround(v0, v1, v2, v3)
        v0, v1, v2, v3 = sipround(v0, v1, v2, v3)
        v0 ^= m
    v2 ^= 0xff
    for _ in range(4):
        v0, v1, v2, v3 = sipround(v0, v1, v2, v3)
    return ((v0 ^ v1 ^ v2 ^ v3) & MASK).to_bytes(8, 'little')


def short_id_key(block_id: bytes, nonce: bytes) -> bytes:
    return hashlib.sha256(block_id + nonce).digest()[:16]


def short_id(block_id: bytes, nonce: bytes, transaction_id: bytes) -> bytes:
    return siphash24(short_id_key(block_id, nonce), transaction_id)[:6]


def main():
    requests = json.load(sys.stdin)
    out = {'siphash': [], 'shortIds': []}
    for r in requests.get('siphash', []):
        out['siphash'].append({**r, 'hash': siphash24(bytes.fromhex(r['key']), bytes.fromhex(r['message'])).hex()})
    for r in requests.get('shortIds', []):
        block_id, nonce, tx = (bytes.fromhex(r[k]) for k in ('blockId', 'nonce', 'transactionId'))
        out['shortIds'].append({**r, 'key': short_id_key(block_id, nonce).hex(), 'shortId': short_id(block_id, nonce, tx).hex()})
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
