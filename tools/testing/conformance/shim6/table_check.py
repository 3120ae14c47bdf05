#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Keeps Documentation/rv6/shim6-conformance.rst true to the tree.

Reads every row of the file's list-tables (ID, requirement, rv6's answer, where, tests)
and checks that:

- the answer is YES, PARTIAL, NO or N/A, and a NO or N/A says why;
- every ``file:function`` under Where exists (the file, and the function, method,
  constant or type it names in it);
- every test under Tests exists: a Rust test function (``cores/tests/shim6.rs::name``,
  a path suffix under tools/ or net/ naming one file, the function marked #[test]), a
  KTAP check of a guest suite (``shim6d.sh: "description"``), a conformance test ID
  (``SH-1-1-1``, registered in suite.py) or a host test of this directory
  (``test_shim6_layer.py::name``);
- a YES or PARTIAL names at least one test, IDs are unique, every conformance test of
  suite.py is named by some row, and the counts the text gives are the table's.

    table_check.py [--counts FILE]

prints each problem and a summary, writes "passed failed skipped" (rows) to FILE for make
check's summary, and exits 1 when anything is wrong.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "../../../.."))
DOC = os.path.join(TOP, "Documentation/rv6/shim6-conformance.rst")
SELFTESTS = os.path.join(TOP, "tools/testing/selftests/rv6/shim6")
SUITE = os.path.join(HERE, "suite.py")
ANSWERS = ("YES", "PARTIAL", "NO", "N/A")
RUST_ROOTS = ("tools", "net")


def rows(text):
    """The rows of every list-table in `text`, header rows left out: lists of cells, each
    cell's lines joined (a paragraph break kept as a blank line)."""
    out = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith(".. list-table::"):
            i += 1
            continue
        i += 1
        header = 0
        table = []
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith("   ")):
            line = lines[i]
            m = re.match(r"   :header-rows: (\d+)", line)
            if m:
                header = int(m.group(1))
            elif line.startswith("   * - "):
                table.append([line[7:]])
            elif line.startswith("     - ") and table:
                table[-1].append(line[7:])
            elif line.startswith("       ") and table:
                table[-1][-1] += " " + line.strip()
            elif not line.strip() and table:
                table[-1][-1] += "\n\n"
            i += 1
        out += [[re.sub(r"[ \t]*\n\n[ \t]*", "\n\n", c).strip() for c in r]
                for r in table[header:]]
    return out


def literals(cell):
    return re.findall(r"``(.+?)``", cell.replace("\n\n", " "))


_files = {}


def read(path):
    if path not in _files:
        with open(path, errors="replace") as f:
            _files[path] = f.read()
    return _files[path]


def check_where(lit):
    """A problem with ``path:Symbol`` (``path:Type::name``), or None."""
    m = re.fullmatch(r"([\w./-]+):([\w:]+)", lit)
    if not m:
        return f"Where {lit!r} is not file:function"
    path = os.path.join(TOP, m.group(1))
    if not os.path.isfile(path):
        return f"Where {lit!r}: no file {m.group(1)}"
    text = read(path)
    *types, name = m.group(2).split("::")
    defined = (rf"\b(fn|const|static|struct|enum|trait|type|mod|def|class)\s+{re.escape(name)}\b"
               rf"|^\s*{re.escape(name)}\s*\(\)")
    if not re.search(defined, text, re.M):
        return f"Where {lit!r}: {name} is not defined in {m.group(1)}"
    for t in types:
        if not re.search(rf"^\s*(pub(\([\w:]+\))?\s+)?(impl\b.*|struct|enum|trait|type)\b.*\b"
                         rf"{re.escape(t)}\b", text, re.M):
            return f"Where {lit!r}: no type {t} in {m.group(1)}"
    return None


_rust = {}


def rust_files():
    if not _rust:
        for root in RUST_ROOTS:
            for d, dirs, files in os.walk(os.path.join(TOP, root)):
                dirs[:] = [x for x in dirs if x not in ("target", ".git")]
                for f in files:
                    if f.endswith(".rs"):
                        p = os.path.join(d, f)
                        _rust[os.path.relpath(p, TOP)] = p
    return _rust


def check_test(lit, suite_ids):
    """A problem with a test ID, or None."""
    if re.fullmatch(r"SH-\d+-\d+-\d+", lit):
        return None if lit in suite_ids else f"test {lit}: no such test in suite.py"
    m = re.fullmatch(r"([\w.-]+\.sh): \"(.+)\"", lit)
    if m:
        path = os.path.join(SELFTESTS, m.group(1))
        if not os.path.isfile(path):
            return f"test {lit!r}: no suite {m.group(1)} in {os.path.relpath(SELFTESTS, TOP)}"
        if f'check "{m.group(2)}"' not in read(path):
            return f"test {lit!r}: {m.group(1)} has no such check"
        return None
    m = re.fullmatch(r"([\w.-]+\.py)::(\w+)", lit)
    if m:
        path = os.path.join(HERE, m.group(1))
        if not os.path.isfile(path) or not re.search(rf"^def {m.group(2)}\(", read(path), re.M):
            return f"test {lit!r}: no such test function"
        return None
    m = re.fullmatch(r"([\w./-]+\.rs)::(\w+)", lit)
    if m:
        found = [p for rel, p in rust_files().items()
                 if rel == m.group(1) or rel.endswith("/" + m.group(1))]
        if len(found) != 1:
            return f"test {lit!r}: {len(found)} files end in {m.group(1)}"
        lines = read(found[0]).splitlines()
        for i, line in enumerate(lines):
            if re.match(rf"\s*(pub\s+)?fn {m.group(2)}\(", line):
                if any("#[test]" in x for x in lines[max(0, i - 6):i]):
                    return None
                return f"test {lit!r}: {m.group(2)} is not a #[test]"
        return f"test {lit!r}: no fn {m.group(2)} in {os.path.relpath(found[0], TOP)}"
    return f"test {lit!r}: not a form the table uses"


def answer_of(cell):
    """(answer, the reason after it) of an rv6 cell: '**NO**: why ...'."""
    m = re.match(r"\*\*([A-Z/]+)\*\*:?\s*(.*)", cell, re.S)
    return (m.group(1), m.group(2).strip()) if m else (cell.split()[0] if cell else "", "")


def check(text, suite_text):
    suite_ids = set(re.findall(r'^@test\("(SH-[\d-]+)"', suite_text, re.M))
    problems = []           # (row ID or None, what)
    bad_rows = set()
    seen = set()
    named = set()
    counts = {a: 0 for a in ANSWERS}
    lin = {a: 0 for a in ANSWERS}
    table = rows(text)
    for r in table:
        rid = r[0] if r else "?"
        say = []
        if len(r) != 5:
            say.append(f"{len(r)} cells, not 5")
        else:
            _, _, rv6, where, tests = r
            if rid in seen:
                say.append("ID used twice")
            seen.add(rid)
            answer, why = answer_of(rv6)
            if answer not in ANSWERS:
                say.append(f"answer {answer!r} is none of {', '.join(ANSWERS)}")
            else:
                counts[answer] += 1
                if rid.startswith("3."):
                    lin[answer] += 1
            if answer in ("NO", "N/A") and len(why) < 3:
                say.append(f"{answer} without a reason")
            for lit in literals(where):
                p = check_where(lit)
                if p:
                    say.append(p)
            tests = literals(tests)
            if answer in ("YES", "PARTIAL") and not tests:
                say.append(f"{answer} names no test")
            for lit in tests:
                named.add(lit)
                p = check_test(lit, suite_ids)
                if p:
                    say.append(p)
        problems += [(rid, p) for p in say]
        if say:
            bad_rows.add(rid)
    for tid in sorted(suite_ids - named):
        problems.append((None, f"{tid} is in suite.py and named by no row"))
    fmt = "YES {YES}, PARTIAL {PARTIAL}, NO {NO}, N/A {N/A}"
    m = re.search(r"Counts: (YES \d+, PARTIAL \d+, NO \d+, N/A \d+)\.", text)
    if not m or m.group(1) != fmt.format(**counts):
        problems.append((None, f"the text's counts ({m.group(1) if m else 'none'}) are not "
                                f"the table's ({fmt.format(**counts)})"))
    rest = {a: counts[a] - lin[a] for a in ANSWERS}
    want = f"(LinShim6's lines: {fmt.format(**lin)}; the requirements it left out: " \
           f"{fmt.format(**rest)})"
    if want not in " ".join(text.split()):
        problems.append((None, f"the text should say {want}"))
    return table, counts, problems, bad_rows


def main(argv):
    counts_file = argv[argv.index("--counts") + 1] if "--counts" in argv else None
    with open(DOC) as f:
        text = f.read()
    with open(SUITE) as f:
        suite_text = f.read()
    table, counts, problems, bad_rows = check(text, suite_text)
    for rid, p in problems:
        print(f"shim6-conformance.rst: {rid + ': ' if rid else ''}{p}")
    tests = sum(len(literals(r[4])) for r in table if len(r) == 5)
    print(f"# shim6 conformance table: {len(table)} rows (YES {counts['YES']}, PARTIAL "
          f"{counts['PARTIAL']}, NO {counts['NO']}, N/A {counts['N/A']}), {tests} test IDs; "
          f"{len(problems)} problem(s)")
    if counts_file:
        # A row with problems is a failure, and so is each problem of the text as a whole.
        failed = len(bad_rows) + sum(1 for rid, _ in problems if rid is None)
        with open(counts_file, "w") as f:
            f.write(f"{len(table) - len(bad_rows)} {failed} 0\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
