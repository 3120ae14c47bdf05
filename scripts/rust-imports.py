#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Rewrite the `use` declarations of Rust files into the kernel's vertical import style.

Documentation/rust/coding-guidelines.rst ("Imports") asks for every item of a `use`
list on its own line, braces only once a list has more than one item, and an empty
`//` comment after the last item of each list, which makes rustfmt keep (and
produce) that layout:

    use crate::{
        example1,
        example2::{
            example3,
            example4, //
        },
        example8::example9, //
    };

This script rewrites each `use` item of the given files into that form and touches
nothing else: items are put in rustfmt's order (style editions 2015 to 2021, the
kernel's), so that the `//` stays on the last item when rustfmt runs afterwards; a
list of one item loses its braces (as rustfmt does), unless it is `{self}` or the
one-item-with-`//` form the guide allows; a `use` item holding any other comment, or
a macro's `$crate`, is left alone and reported.  Run rustfmt after it, or pass
--rustfmt.  Running it again changes nothing.

usage: scripts/rust-imports.py [--check] [--rustfmt CONFIG] [--edition E] FILE...

  --check           change nothing; list the files that would change, exit 1 if any
  --rustfmt CONFIG  then run rustfmt (with that .rustfmt.toml) on each file, through
                    stdin, so that files its `mod` items name are not formatted too
  --edition E       edition for --rustfmt (default 2021)

Example, with the kernel's config:

    scripts/rust-imports.py --rustfmt "$SRC/.rustfmt.toml" rust/kernel/rhashtable.rs
"""

import argparse
import subprocess
import sys


class Unsupported(Exception):
    pass


# --- Lexer: enough of Rust to find `use` items outside comments and literals. ---

def _is_ident_start(c):
    return c == "_" or c.isalpha()


def _is_ident_char(c):
    return c == "_" or c.isalnum()


def tokenize(src):
    """Yield (kind, start, end) with kind in ident, punct, comment, literal."""
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
            continue
        start = i
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
            yield ("comment", start, i)
            continue
        if src.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if src.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif src.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            yield ("comment", start, i)
            continue
        # Raw strings and byte/C strings: r"..", r#".."#, br"..", cr"..", b"..", c"..".
        j = i
        if src[j] in "bc" and j + 1 < n and src[j + 1] in "r\"":
            j += 1
        if src[j] == "r" and j + 1 < n and src[j + 1] in "#\"":
            k = j + 1
            while k < n and src[k] == "#":
                k += 1
            if k < n and src[k] == '"':
                hashes = k - (j + 1)
                end = src.find('"' + "#" * hashes, k + 1)
                if end < 0:
                    raise Unsupported("unterminated raw string")
                i = end + 1 + hashes
                yield ("literal", start, i)
                continue
        if src[j] == '"':
            k = j + 1
            while k < n and src[k] != '"':
                k += 2 if src[k] == "\\" else 1
            i = k + 1
            yield ("literal", start, i)
            continue
        if c == "b" and i + 1 < n and src[i + 1] == "'":
            j = i + 1
            c = "'"
        if src[j] == "'":
            # A char literal ('a', '\n', '\u{..}') or a lifetime/label ('a).
            if j + 1 < n and src[j + 1] == "\\":
                k = j + 2
                while k < n and src[k] != "'":
                    k += 2 if src[k] == "\\" else 1
                i = k + 1
                yield ("literal", start, i)
                continue
            if j + 2 < n and src[j + 2] == "'":
                i = j + 3
                yield ("literal", start, i)
                continue
            k = j + 1
            while k < n and _is_ident_char(src[k]):
                k += 1
            i = k
            yield ("lifetime", start, i)
            continue
        if _is_ident_start(c):
            if src.startswith("r#", i) and i + 2 < n and _is_ident_start(src[i + 2]):
                i += 2
            while i < n and _is_ident_char(src[i]):
                i += 1
            yield ("ident", start, i)
            continue
        if c.isdigit():
            while i < n and (_is_ident_char(src[i]) or
                             (src[i] == "." and i + 1 < n and src[i + 1].isdigit())):
                i += 1
            yield ("literal", start, i)
            continue
        if src.startswith("::", i):
            i += 2
        else:
            i += 1
        yield ("punct", start, i)


# --- Use trees, as rustfmt sees them: a path of segments. ---
#
# A segment is ("ident", name, alias), ("self"|"super"|"crate", None, alias),
# ("glob", None, None) or ("list", [trees], keep_single).  A tree is a list of
# segments, the last one possibly a list or a glob.

_SPECIAL = {"self", "super", "crate"}


class Parser:
    def __init__(self, src, toks):
        self.src, self.toks, self.i = src, toks, 0

    def text(self, t):
        return self.src[t[1]:t[2]]

    def peek(self):
        if self.i >= len(self.toks):
            raise Unsupported("unterminated use item")
        return self.toks[self.i]

    def next(self):
        t = self.peek()
        self.i += 1
        return t

    def skip_empty_comments(self):
        """Skip comments; True if one was an empty `//`.  Others are not supported."""
        seen = False
        while self.peek()[0] == "comment":
            t = self.next()
            if self.text(t).strip() != "//":
                raise Unsupported("a comment inside the use item")
            seen = True
        return seen

    def tree(self):
        path = []
        while True:
            self.skip_empty_comments()
            t = self.next()
            s = self.text(t)
            if t[0] == "punct" and s == "{":
                path.append(self.list())
                return path
            if t[0] == "punct" and s == "*":
                path.append(("glob", None, None))
                return path
            if t[0] != "ident" or s in ("as", "use", "pub"):
                raise Unsupported("unexpected %r in a use item" % s)
            alias = None
            self.skip_empty_comments()
            if self.text(self.peek()) == "as":
                self.next()
                self.skip_empty_comments()
                a = self.next()
                if a[0] != "ident":
                    raise Unsupported("unexpected alias %r" % self.text(a))
                alias = self.text(a)
            kind = s if s in _SPECIAL else "ident"
            path.append((kind, s if kind == "ident" else None, alias))
            self.skip_empty_comments()
            if self.text(self.peek()) != "::" or alias is not None:
                return path
            self.next()

    def list(self):
        items, keep = [], False
        while True:
            keep |= self.skip_empty_comments()
            if self.text(self.peek()) == "}":
                self.next()
                return ("list", items, keep)
            items.append(self.tree())
            keep |= self.skip_empty_comments()
            t = self.next()
            s = self.text(t)
            if s == "}":
                return ("list", items, keep)
            if s != ",":
                raise Unsupported("unexpected %r in a use list" % s)


def normalize(tree):
    """Flatten one-item lists and sort lists, as rustfmt does."""
    if tree and tree[-1][0] == "list":
        kind, items, keep = tree[-1]
        items = [normalize(t) for t in items]
        if len(items) == 1 and not keep and items[0][0][0] != "self":
            return normalize(tree[:-1] + items[0])
        items.sort(key=_TreeKey)
        return tree[:-1] + [(kind, items, keep and len(items) == 1)]
    return tree


# rustfmt's order for style editions up to 2021 (src/imports.rs, `impl Ord for
# UseSegment` and `impl Ord for UseTree`).

_RANK = {"self": 0, "super": 1, "crate": 2, "ident": 3, "glob": 4, "list": 5}


def _cmp(a, b):
    return (a > b) - (a < b)


def _upper_snake(s):
    return all(c.isupper() or c == "_" or c.isnumeric() for c in s)


def _cmp_ident(a, b):
    au, bu = a[:1].isupper(), b[:1].isupper()
    if au != bu:
        return 1 if au else -1
    if _upper_snake(a) != _upper_snake(b):
        return 1 if _upper_snake(a) else -1
    return _cmp(a, b)


def _cmp_alias(a, b):
    if a is None or b is None:
        return _cmp(a is not None, b is not None)
    return _cmp(a, b)


def _cmp_segment(a, b, alias=True):
    if a[0] != b[0]:
        return _cmp(_RANK[a[0]], _RANK[b[0]])
    if a[0] == "ident":
        c = _cmp_ident(a[1], b[1])
        return c if c or not alias else _cmp_alias(a[2], b[2])
    if a[0] in _SPECIAL:
        return _cmp_alias(a[2], b[2]) if alias else 0
    if a[0] == "list":
        for x, y in zip(a[1], b[1]):
            c = _cmp_tree(x, y)
            if c:
                return c
        return _cmp(len(a[1]), len(b[1]))
    return 0


def _cmp_tree(a, b):
    for x, y in zip(a, b):
        c = _cmp_segment(x, y)
        if c and _cmp_segment(x, y, alias=False):
            return c
    return _cmp(len(a), len(b))


class _TreeKey:
    def __init__(self, tree):
        self.tree = tree

    def __lt__(self, other):
        return _cmp_tree(self.tree, other.tree) < 0


def render(tree, indent):
    out = []
    for seg in tree:
        kind, a, b = seg
        if kind == "list" and len(a) == 1 and not b:
            out.append("{" + render(a[0], indent) + "}")  # `{self}`, as rustfmt has it
        elif kind == "list":
            inner = indent + "    "
            lines = []
            for k, t in enumerate(a):
                last = k == len(a) - 1
                lines.append(inner + render(t, inner) + ("," + (" //" if last else "")))
            out.append("{\n" + "\n".join(lines) + "\n" + indent + "}" if a else "{}")
        elif kind == "glob":
            out.append("*")
        else:
            name = a if kind == "ident" else kind
            out.append(name + ("" if b is None else " as " + b))
    return "::".join(out)


# --- Finding and rewriting `use` items. ---

def _use_positions(src, toks):
    """Indexes of the `use` tokens that start a `use` item."""
    sig = [k for k, t in enumerate(toks) if t[0] != "comment"]
    out = []
    for p, k in enumerate(sig):
        t = toks[k]
        if t[0] != "ident" or src[t[1]:t[2]] != "use":
            continue
        if p == 0:
            out.append(k)
            continue
        prev = toks[sig[p - 1]]
        ps = src[prev[1]:prev[2]]
        if ps in (";", "{", "}", "]", "pub"):
            out.append(k)
        elif ps == ")":
            # `pub(crate) use`, `pub(in path) use`
            depth, q = 0, p - 1
            while q >= 0:
                s = src[toks[sig[q]][1]:toks[sig[q]][2]]
                depth += {")": 1, "(": -1}.get(s, 0)
                if depth == 0:
                    break
                q -= 1
            if q > 0 and src[toks[sig[q - 1]][1]:toks[sig[q - 1]][2]] == "pub":
                out.append(k)
    return out


def rewrite(src, name="<stdin>", warn=True):
    toks = list(tokenize(src))
    edits = []
    for k in _use_positions(src, toks):
        line_start = src.rfind("\n", 0, toks[k][1]) + 1
        indent = src[line_start:toks[k][1]]
        indent = indent[:len(indent) - len(indent.lstrip())]
        p = Parser(src, toks)
        p.i = k + 1
        try:
            # `use ::a::b` (a path from the extern prelude) keeps its leading `::`.
            root = ""
            if p.text(p.peek()) == "::":
                p.next()
                root = "::"
            tree = p.tree()
            if p.text(p.peek()) != ";":
                raise Unsupported("unexpected %r after the use tree" % p.text(p.peek()))
        except Unsupported as e:
            if warn:
                line = src.count("\n", 0, toks[k][1]) + 1
                print("%s:%d: left alone: %s" % (name, line, e), file=sys.stderr)
            continue
        new = "use " + root + render(normalize(tree), indent) + ";"
        start, end = toks[k][1], toks[p.i][2]
        if src[start:end] != new:
            edits.append((start, end, new))
    for start, end, new in reversed(edits):
        src = src[:start] + new + src[end:]
    return src


def rustfmt(src, config, edition):
    # Through stdin, so that rustfmt formats this file only and not the files its
    # `mod` items name.
    r = subprocess.run(["rustfmt", "--edition", edition, "--config-path", config,
                        "--emit", "stdout"], input=src, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("rustfmt failed:\n" + r.stderr)
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="See the module docstring for details.")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--rustfmt", metavar="CONFIG")
    ap.add_argument("--edition", default="2021")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    changed = []
    for f in args.files:
        with open(f, encoding="utf-8") as fh:
            old = fh.read()
        new = rewrite(old, f)
        if args.rustfmt:
            new = rustfmt(new, args.rustfmt, args.edition)
            again = rewrite(new, f, warn=False)
            if again != new:
                # rustfmt reordered something the script did not: once more.
                new = rustfmt(again, args.rustfmt, args.edition)
        if new != old:
            changed.append(f)
            if not args.check:
                with open(f, "w", encoding="utf-8") as fh:
                    fh.write(new)
    for f in changed:
        print(("would change: " if args.check else "changed: ") + f)
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
