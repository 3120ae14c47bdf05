#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns tbprof.c's windows into an instruction profile by function.

usage: tbprof.py DUMP KALLSYMS [--window N] [--per COUNT] [--top N] [--match RE]

KALLSYMS is the guest's /proc/kallsyms, read while the modules were loaded
(the kernel boots without KASLR, so it holds for the whole run).  Every
block's instructions go to the symbol its address falls in; --per divides
by the units the window did (datagrams, say) for instructions per unit.
"""
import argparse
import bisect
import re
import sys
from collections import defaultdict


def symbols(path):
    """Sorted (address, name) of the text symbols, modules named [mod]."""
    syms = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or parts[1].lower() not in ("t", "w"):
                continue
            addr = int(parts[0], 16)
            if addr == 0:
                continue
            name = parts[2] + (" " + parts[3] if len(parts) > 3 else "")
            syms.append((addr, name))
    syms.sort()
    return syms


def windows(path):
    """{window number: [(address, instructions)]}."""
    out, cur = {}, None
    with open(path) as f:
        for line in f:
            if line.startswith("window "):
                cur = out.setdefault(int(line.split()[1]), [])
            elif cur is not None:
                a, n = line.split()
                cur.append((int(a, 16), int(n)))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dump")
    p.add_argument("kallsyms")
    p.add_argument("--window", type=int, default=1)
    p.add_argument("--per", type=float, default=1.0)
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--match", help="only symbols matching this regex")
    a = p.parse_args()
    syms = symbols(a.kallsyms)
    addrs = [s[0] for s in syms]
    blocks = windows(a.dump).get(a.window)
    if blocks is None:
        sys.exit(f"tbprof.py: no window {a.window} in {a.dump}")
    by = defaultdict(int)
    total = 0
    for addr, n in blocks:
        i = bisect.bisect_right(addrs, addr) - 1
        name = syms[i][1] if i >= 0 and addr < 0xFFFFFFFFFFFFFFFF else "?"
        if addr < 0x800000000000:
            name = "(user space)"
        by[name] += n
        total += n
    rows = sorted(by.items(), key=lambda kv: -kv[1])
    if a.match:
        rx = re.compile(a.match)
        rows = [r for r in rows if rx.search(r[0])]
    print(f"window {a.window}: {total} instructions, {total / a.per:.0f} per unit")
    shown = 0
    for name, n in rows[: a.top]:
        shown += n
        print(f"{n / a.per:10.1f} {100 * n / total:6.2f}%  {name}")
    print(f"{shown / a.per:10.1f} {100 * shown / total:6.2f}%  (the rows above)")


if __name__ == "__main__":
    main()
