#!/usr/bin/env python3
"""A second, independent reading of RFC 3972 / RFC 5535 / RFC 5533 §5.15.5,
for tests/cross_check.rs: hashlib's SHA-1 and the `cryptography` package's
RSA, nothing of the Rust crate.

    cross_check.py check FILE   verify what the crate made (lines of FILE)
    cross_check.py make KEY     make a CGA, an HBA set and a signature

`check` lines, each answered by "ok ..." or "FAIL ..." on stdout:
    cga ADDR PDS_HEX        ADDR is the CGA of PDS (RFC 3972 §5)
    hba ADDR PDS_HEX        ADDR is in the HBA set of PDS (RFC 5535 §7.2)
    nonce PDS_HEX           PDS's key is an HBA-only nonce (RFC 5535 §6)
    sig PDS_HEX GEN LOCS METHODS SIG_HEX
                            the CGA Signature (RFC 5533 §5.15.5)
`make` prints lines the Rust side verifies:
    cga ADDR PDS_HEX
    hba ADDR PDS_HEX
    sig PDS_HEX GEN LOCS METHODS SIG_HEX
LOCS are hex addresses joined by ',', METHODS decimal octets joined by ','.
"""

import hashlib
import ipaddress
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

SHIM6_TAG = bytes.fromhex("4A30 5662 4858 574B 3655 416F 506A 6D48".replace(" ", ""))
MULTI_PREFIX = 0x0012
HBA, CGA = 1, 2


def tlv(b, at):
    """The DER TLV at `at`: (tag, where its content starts, where it ends)."""
    first = b[at + 1]
    if first < 0x80:
        return b[at], at + 2, at + 2 + first
    n = first & 0x7F
    start = at + 2 + n
    return b[at], start, start + int.from_bytes(b[at + 2 : start], "big")


def split(pds):
    """(modifier, prefix, count, key, extension octets, [(type, data)])."""
    key_end = tlv(pds, 25)[2]
    key = pds[25:key_end]
    ext = pds[key_end:]
    exts, at = [], 0
    while at < len(ext):
        t = int.from_bytes(ext[at : at + 2], "big")
        n = int.from_bytes(ext[at + 2 : at + 4], "big")
        exts.append((t, ext[at + 4 : at + 4 + n]))
        at += 4 + n
    if at != len(ext):
        raise ValueError("extensions overrun")
    return pds[:16], pds[16:24], pds[24], key, ext, exts


def cga_verify(addr, pds):
    modifier, prefix, count, key, ext, _ = split(pds)
    a = ipaddress.IPv6Address(addr).packed
    if count > 2:
        return "collision count"
    if prefix != a[:8]:
        return "subnet prefix"
    h1 = hashlib.sha1(pds).digest()[:8]
    mask = 0x1CFFFFFFFFFFFFFF
    if int.from_bytes(h1, "big") & mask != int.from_bytes(a[8:], "big") & mask:
        return "hash1"
    sec = a[8] >> 5
    if sec > 2:
        return "sec"
    h2 = hashlib.sha1(modifier + bytes(9) + key + ext).digest()[:14]
    if any(h2[: 2 * sec]):
        return "hash2"
    return None


def prefixes_of(exts):
    for t, data in exts:
        if t == MULTI_PREFIX:
            return bool(data[0] & 0x80), [data[i : i + 8] for i in range(4, len(data), 8)]
    return None


def hba_verify(addr, pds):
    _, _, _, _, _, exts = split(pds)
    mp = prefixes_of(exts)
    if mp is None:
        return "no multi-prefix"
    a = ipaddress.IPv6Address(addr).packed
    if a[:8] not in mp[1]:
        return "not in set"
    return cga_verify(addr, pds[:16] + a[:8] + pds[24:])


def nonce_check(pds):
    """RFC 5535 §6: rsaEncryption SPKI whose RSAPublicKey holds 384 bits."""
    _, _, _, key, _, exts = split(pds)
    mp = prefixes_of(exts)
    if mp is None or mp[0]:
        return "P flag set or no multi-prefix"
    _, spki, _ = tlv(key, 0)
    _, alg, alg_end = tlv(key, spki)
    _, oid, oid_end = tlv(key, alg)
    if key[oid:oid_end] != bytes.fromhex("2a864886f70d010101"):
        return "not rsaEncryption"
    tag, bits, _ = tlv(key, alg_end)
    if tag != 0x03 or key[bits] != 0:
        return "no BIT STRING of whole octets"
    _, rsa_key, _ = tlv(key, bits + 1)
    _, n, n_end = tlv(key, rsa_key)
    _, e, e_end = tlv(key, n_end)
    n = int.from_bytes(key[n:n_end], "big")
    if not 352 <= n.bit_length() <= 384:
        return "modulus of %d bits" % n.bit_length()
    if int.from_bytes(key[e:e_end], "big") != 65537:
        return "exponent"
    return None


def signed(gen, locs, methods):
    return SHIM6_TAG + gen.to_bytes(4, "big") + b"".join(
        l for l, m in zip(locs, methods) if m == CGA
    )


def sig_verify(pds, gen, locs, methods, sig):
    key = serialization.load_der_public_key(split(pds)[3])
    try:
        key.verify(sig, signed(gen, locs, methods), padding.PKCS1v15(), hashes.SHA1())
    except Exception as e:  # InvalidSignature
        return "signature: %r" % e
    return None


def check(path):
    bad = 0
    for line in open(path):
        w = line.split()
        if not w:
            continue
        if w[0] == "cga":
            why = cga_verify(w[1], bytes.fromhex(w[2]))
        elif w[0] == "hba":
            why = hba_verify(w[1], bytes.fromhex(w[2]))
        elif w[0] == "nonce":
            why = nonce_check(bytes.fromhex(w[1]))
        elif w[0] == "sig":
            locs = [bytes.fromhex(l) for l in w[3].split(",")]
            methods = [int(m) for m in w[4].split(",")]
            why = sig_verify(bytes.fromhex(w[1]), int(w[2]), locs, methods, bytes.fromhex(w[5]))
        else:
            why = "unknown line"
        print(("FAIL %s: " % why if why else "ok ") + line.strip()[:60])
        bad += why is not None
    return 1 if bad else 0


def address(prefix, h1, sec):
    iid = bytearray(h1)
    iid[0] = (sec << 5) | (iid[0] & 0x1C)
    return str(ipaddress.IPv6Address(prefix + bytes(iid)))


def generate(prefix, key, ext, sec):
    """RFC 3972 §4 / RFC 5535 §6: (modifier, address)."""
    m = int.from_bytes(os.urandom(16), "big")
    while True:
        mod = m.to_bytes(16, "big")
        if not any(hashlib.sha1(mod + bytes(9) + key + ext).digest()[: 2 * sec]):
            break
        m = (m + 1) % (1 << 128)
    pds = mod + prefix + b"\0" + key + ext
    return pds, address(prefix, hashlib.sha1(pds).digest()[:8], sec)


def make(key_path):
    priv = serialization.load_pem_private_key(open(key_path, "rb").read(), None)
    spki = priv.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    a = bytes.fromhex("20010db8000a0000")
    b = bytes.fromhex("20010db8000b0000")
    pds, addr = generate(a, spki, b"", 1)
    print("cga", addr, pds.hex())
    mp = (MULTI_PREFIX).to_bytes(2, "big") + (4 + 16).to_bytes(2, "big") + b"\x80\0\0\0" + a + b
    pds_a, addr_a = generate(a, spki, mp, 1)
    pds_b = pds_a[:16] + b + pds_a[24:]
    addr_b = address(b, hashlib.sha1(pds_b).digest()[:8], 1)
    for x in (addr_a, addr_b):
        print("hba", x, pds_a.hex())
    locs = [ipaddress.IPv6Address(addr_a).packed, ipaddress.IPv6Address(addr_b).packed, bytes(15) + b"\1"]
    methods = [HBA, HBA, CGA]
    sig = priv.sign(signed(77, locs, methods), padding.PKCS1v15(), hashes.SHA1())
    print(
        "sig", pds_a.hex(), 77, ",".join(l.hex() for l in locs),
        ",".join(map(str, methods)), sig.hex(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(check(sys.argv[2]) if sys.argv[1] == "check" else make(sys.argv[2]))
