#!/usr/bin/env python3
# AF_ALG hash sockets on xcbc(aes) (argument "mac96") or xcbc-prf128(aes)
# ("prf128") give the RFC 3566 or RFC 4434 results: userspace crypto users
# reach rv6's template.  xcbc-prf128(aes) is not on algif_hash's allowlist, so
# "prf128" needs sysctl crypto.af_alg_restrict=0.
# Prints one "name ok|FAIL detail" line per case; exit status 1 on any failure.
import socket
import sys

KEY = bytes(range(16))
RFC3566 = [
    (b"", "75f0251d528ac01c4573dfd584d79f29"),
    (bytes(range(3)), "5b376580ae2f19afe7219ceef172756f"),
    (bytes(range(16)), "d2a246fa349b68a79998a4394ff7a263"),
    (bytes(range(20)), "47f51b4564966215b8985c63055ed308"),
    (bytes(range(32)), "f54f0ec8d2b9f3d36807734bd5283fd4"),
    (bytes(range(34)), "becbb3bccdb518a30677d5481fb6b4d8"),
    (bytes(1000), "f0dafee895db30253761103b5d84528f"),
]
RFC4434 = [
    (bytes(range(16)), "47f51b4564966215b8985c63055ed308"),
    (bytes(range(10)), "0fa087af7d866e7653434e602fdde835"),
    (bytes(range(16)) + b"\xed\xcb", "8cd3c93ae598a9803006ffb67c40e9e4"),
]


def mac(alg, key, msg, pieces=1):
    with socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET, 0) as s:
        s.bind(("hash", alg))
        s.setsockopt(socket.SOL_ALG, socket.ALG_SET_KEY, key)
        op, _ = s.accept()
        with op:
            step = max(1, -(-len(msg) // pieces))
            chunks = [msg[i:i + step] for i in range(0, len(msg), step)] or [b""]
            for c in chunks[:-1]:
                op.send(c, socket.MSG_MORE)
            op.send(chunks[-1])
            return op.recv(16).hex()


failed = 0


def report(name, got, want):
    global failed
    ok = got == want
    failed += not ok
    print(f"{name} {'ok' if ok else 'FAIL'} {'' if ok else f'got {got} want {want}'}")


if sys.argv[1:] == ["mac96"]:
    for i, (msg, want) in enumerate(RFC3566, 1):
        report(f"afalg_rfc3566_case{i}_{len(msg)}_bytes", mac("xcbc(aes)", KEY, msg), want)
    report("afalg_rfc3566_case6_in_three_sends", mac("xcbc(aes)", KEY, bytes(range(34)), 3),
           "becbb3bccdb518a30677d5481fb6b4d8")
    try:
        mac("xcbc(aes)", bytes(10), b"x")
        report("afalg_short_key_refused", "accepted", "EINVAL")
    except OSError as e:
        report("afalg_short_key_refused", "EINVAL" if e.errno == 22 else str(e), "EINVAL")
elif sys.argv[1:] == ["prf128"]:
    for key, want in RFC4434:
        report(f"afalg_rfc4434_prf128_key_{len(key)}_bytes",
               mac("xcbc-prf128(aes)", key, bytes(range(20))), want)
else:
    sys.exit("usage: xcbc_afalg.py mac96|prf128")
sys.exit(1 if failed else 0)
