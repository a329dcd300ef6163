"""Ed25519 verification of PAW transactions, written from RFC 8032 section 5.1 and the
four rules of docs/chain.md "Signed message", sharing no code with the node: the second
opinion test/chain/signature-vectors.test.ts asks on protocols/signatures.vectors.json.

    python3 test/chain/ed25519_verify.py protocols/signatures.vectors.json

prints, for each case, {"name", "strict", "cofactorless", "zip215"}: the answers of the
chain's rule and of the two lenient verifiers the vectors describe (protocols/README.md).
"""

import hashlib
import json
import sys

p = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
d = -121665 * pow(121666, p - 2, p) % p
SQRT_M1 = pow(2, (p - 1) // 4, p)
IDENTITY = (0, 1, 1, 0)  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z


def add(P, Q):  # RFC 8032 5.1.4
    A = (P[1] - P[0]) * (Q[1] - Q[0]) % p
    B = (P[1] + P[0]) * (Q[1] + Q[0]) % p
    C = 2 * P[3] * Q[3] * d % p
    D = 2 * P[2] * Q[2] % p
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F % p, G * H % p, F * G % p, E * H % p)


def mul(s, P):
    Q = IDENTITY
    while s > 0:
        if s & 1:
            Q = add(Q, P)
        P = add(P, P)
        s >>= 1
    return Q


def neg(P):
    return (-P[0] % p, P[1], P[2], -P[3] % p)


def is_identity(P):
    return P[0] % p == 0 and (P[1] - P[2]) % p == 0


def encode(P):  # RFC 8032 5.1.2
    zinv = pow(P[2], p - 2, p)
    x, y = P[0] * zinv % p, P[1] * zinv % p
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def decode(s, lenient):
    """RFC 8032 5.1.3 (lenient: y taken mod p, x = 0 accepted with either sign)."""
    n = int.from_bytes(s, "little")
    sign, y = n >> 255, n & ((1 << 255) - 1)
    if y >= p:
        if not lenient:
            return None
        y -= p
    u, v = (y * y - 1) % p, (d * y * y + 1) % p
    x = u * pow(v, 3, p) * pow(u * pow(v, 7, p), (p - 5) // 8, p) % p
    if v * x * x % p == -u % p:
        x = x * SQRT_M1 % p
    elif v * x * x % p != u:
        return None
    if x == 0 and sign == 1 and not lenient:
        return None
    if x & 1 != sign:
        x = -x % p
    return (x, y, 1, x * y % p)


B = decode((4 * pow(5, p - 2, p) % p).to_bytes(32, "little"), False)


def verify(tx, chain_id, mode):
    """mode: 'strict' (docs/chain.md rules 1-4), 'cofactorless' or 'zip215'."""
    A_bytes, R_bytes, S_bytes = tx[0:32], tx[88:120], tx[120:152]
    chain_field = chain_id.encode("utf-8").ljust(32, b"\0")
    message = b"paw-tx-v1" + chain_field + tx[0:88]
    S = int.from_bytes(S_bytes, "little")
    if S >= L:  # rule 2
        return False
    A = decode(A_bytes, mode != "strict")  # rule 1
    if A is None:
        return False
    k = int.from_bytes(hashlib.sha512(R_bytes + A_bytes + message).digest(), "little") % L
    if mode == "cofactorless":  # Go's crypto/ed25519: encode(S.B - k.A) == R, byte for byte
        return encode(add(mul(S, B), neg(mul(k, A)))) == R_bytes
    R = decode(R_bytes, mode == "zip215")  # rule 1
    if R is None:
        return False
    if mode == "strict" and is_identity(mul(8, A)):  # rule 3
        return False
    return is_identity(mul(8, add(add(R, mul(k, A)), neg(mul(S, B)))))  # rule 4


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        vectors = json.load(f)
    answers = []
    for case in vectors["cases"]:
        tx = bytes.fromhex(case["tx"])
        assert len(tx) == 152, case["name"]
        answer = {"name": case["name"]}
        for mode in ("strict", "cofactorless", "zip215"):
            answer[mode] = verify(tx, case["chainId"], mode)
        answers.append(answer)
    json.dump(answers, sys.stdout, indent=1, ensure_ascii=False)
    print()
