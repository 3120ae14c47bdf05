#!/usr/bin/env python3
"""The README's commands, doc-tested on the host (make test-host runs this).

It parses README.md itself, never a copy of its lists:
  - the "two commands" block, the "Everyday use" table and the text after it
    (BENCH=..., RV6_SELFTESTS=..., RV6_JOBS=1, ...): every `make T` must be a
    phony target of the Makefile (read from make's database: -p with -n and -q
    and a goal that has no recipe, so no target runs); every script such a
    target runs must be run by a phase of the script `make check` runs (its
    `phase NAME COMMAND` lines, functions and wrappers followed), unless the
    target is one of NOT_RUN_BY_CHECK below, each checked its own way; every
    BENCH= value must be one `scripts/bench.sh --list` prints; every
    RV6_SELFTESTS= example must select a suite by test-guest.sh's own
    selection (`scripts/test-guest.sh --list`); every variable named must be
    read by a script or program under scripts/ or tools/ (and by the script
    its `make T` runs, when it comes with one);
  - the "Layout" block: every path it names must exist.
A mismatch names the README line and fails (exit 1).

usage: readme-doctest.py [--counts FILE]
  RV6_README=PATH checks another README (the layout's paths stay the tree's).
  --counts FILE writes "passed failed skipped" for make check's summary.
"""
import glob
import os
import re
import shlex
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.environ.get("RV6_README") or os.path.join(TOP, "README.md")
README_NAME = os.path.relpath(README, TOP) if README.startswith(TOP + os.sep) else README

# The README commands make check does not run, and how each is tested instead.
# run and shell: their guest halves (the scripts run.sh hands to the guest)
# must each be run by a selftest test-guest.sh selects (runner/readme_demo.sh
# runs demo.sh and load-modules.sh).  check-debug and bench: checking their
# targets and flags here is enough.  check-debug is make check's own script
# with DEBUG=1 (read by what it sources), whose debug kernel make check boots
# for its debug smoke; bench's guests are measurements, many minutes of
# icount time, not tests: its recipe runs bench.sh, and its BENCH values are
# checked through bench.sh --list.
NOT_RUN_BY_CHECK = {
    "run": "guest-halves",
    "shell": "guest-halves",
    "check-debug": "flags",
    "bench": "flags",
}
# Variables whose README values are checked against the script that reads them:
# VAR: (make target whose script has a --list mode, how a value must relate to it).
VALUE_CHECKS = {
    "BENCH": ("bench", "member"),          # the value is a line of `bench.sh --list`
    "RV6_SELFTESTS": ("test-guest", "selects"),  # `VAR=value test-guest.sh --list` prints a suite
}

passed = 0
failed = 0


def ok(line, what):
    global passed
    passed += 1
    print(f"ok   {README_NAME}:{line}: {what}")


def fail(line, what):
    global failed
    failed += 1
    print(f"FAIL {README_NAME}:{line}: {what}")


def rel(path):
    return os.path.relpath(path, TOP)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


# ---------------------------------------------------------------- the Makefile

def make_database():
    """(rules, phony): rules[target] = (prerequisites, recipe lines), from
    `make -pnq` with a goal that has no recipe: make reads the Makefile,
    prints its database and runs nothing (-n and -q run no recipe line but
    those with + or $(MAKE), and the goal .DEFAULT, which this Makefile gives
    no rule, has none)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    out = subprocess.run(
        ["make", "-C", TOP, "-f", "Makefile", "--no-print-directory", "-npqr", ".DEFAULT"],
        capture_output=True, text=True, env=env,
    ).stdout
    lines = out.splitlines()
    try:
        start = lines.index("# Files")
    except ValueError:
        sys.exit("readme-doctest: make -p printed no '# Files' section")
    rules, phony = {}, set()
    i = start + 1
    while i < len(lines):
        line = lines[i]
        if line.startswith("# files hash-table stats"):
            break
        m = re.match(r"^([^#\s=][^:=]*?)::?(?!=)\s*(.*)$", line)
        if m and not lines[i - 1].startswith("# Not a target"):
            target, prereqs = m.group(1), m.group(2).split()
            recipe = []
            i += 1
            while i < len(lines) and (lines[i].startswith("#") or lines[i].startswith("\t")):
                if lines[i].startswith("\t"):
                    recipe.append(lines[i][1:])
                i += 1
            if target == ".PHONY":
                phony.update(prereqs)
            else:
                rules[target] = (prereqs, recipe)
            continue
        i += 1
    return rules, phony


def recipe_commands(recipe):
    """[(assignments, argv)] of recipe lines: `@DEBUG=1 scripts/check.sh` gives
    ({"DEBUG": "1"}, ["scripts/check.sh"])."""
    cmds = []
    for line in recipe:
        line = line.lstrip("@-+ ")
        try:
            words = shlex.split(line)
        except ValueError:
            continue
        assigns = {}
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            k, v = words.pop(0).split("=", 1)
            assigns[k] = v
        if words:
            cmds.append((assigns, words))
    return cmds


def target_scripts(rules, target, seen=None):
    """The scripts (paths relative to the tree) `make TARGET` runs, its
    prerequisites' included."""
    seen = set() if seen is None else seen
    if target in seen or target not in rules:
        return []
    seen.add(target)
    prereqs, recipe = rules[target]
    scripts = []
    for p in prereqs:
        scripts += target_scripts(rules, p, seen)
    for _, argv in recipe_commands(recipe):
        w = argv[0].replace("$(CURDIR)/", "")
        if os.path.isfile(os.path.join(TOP, w)):
            scripts.append(os.path.normpath(w))
    return scripts


def own_scripts(rules, target):
    """The scripts TARGET's own recipe runs (not its prerequisites')."""
    _, recipe = rules.get(target, ([], []))
    return [os.path.normpath(a[0]) for _, a in recipe_commands(recipe)
            if os.path.isfile(os.path.join(TOP, a[0]))]


# ---------------------------------------------------------------- scripts

def sourced(script):
    """script and the files it sources (`. "$top/scripts/lib.sh"`), relative paths."""
    files = [script]
    for m in re.finditer(r'^\s*(?:\.|source)\s+"?\$top/([^"\s]+)"?', read(os.path.join(TOP, script)), re.M):
        files.append(m.group(1))
    return files


def shell_functions(text):
    """{name: body} of a shell script's functions, one-line and multi-line."""
    funcs = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m1 = re.match(r"^(\w[\w-]*)\(\)\s*\{(.*)\}\s*(#.*)?$", lines[i])
        m2 = re.match(r"^(\w[\w-]*)\(\)\s*\{\s*(#.*)?$", lines[i])
        if m1:
            funcs[m1.group(1)] = m1.group(2)
        elif m2:
            body = []
            i += 1
            while i < len(lines) and not re.match(r"^\}\s*$", lines[i]):
                body.append(lines[i])
                i += 1
            funcs[m2.group(1)] = "\n".join(body)
        i += 1
    return funcs


def check_phases(check_script):
    """{script: [phase names]}: what each `phase NAME COMMAND...` line of
    make check's script runs, through its functions (a function whose body
    runs "$@" is a wrapper: its argument is the command)."""
    text = read(os.path.join(TOP, check_script))
    funcs = shell_functions(text)

    def scripts_of_body(body, seen):
        found = {m.group(1) for m in re.finditer(r"\$top/([\w./-]+)", body)}
        for name, fbody in funcs.items():
            if name not in seen and re.search(rf"(^|[\s;(&|]){re.escape(name)}($|[\s;)&|])", body):
                found |= scripts_of_body(fbody, seen | {name})
        return found

    runs = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#") or line.lstrip().startswith("phase()"):
            continue
        for m in re.finditer(r"\bphase\s+([\w.-]+)\s+(.*)", line):
            name = m.group(1)
            lex = shlex.shlex(m.group(2), posix=True, punctuation_chars=True)
            lex.whitespace_split = True
            words = []
            for w in lex:
                if w in ("||", "&&", ";", "}", "|", "&"):
                    break
                words.append(w)
            while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
                words.pop(0)
            found = set()
            while words:
                w = words.pop(0)
                if w in funcs and '"$@"' in funcs[w]:
                    continue  # a wrapper: the command is its argument
                if w in funcs:
                    found |= scripts_of_body(funcs[w], {w})
                elif w.startswith("$top/"):
                    found.add(w[len("$top/"):])
                break
            for s in found:
                runs.setdefault(os.path.normpath(s), []).append(name)
    return runs


def env_readers(var):
    """Files under scripts/ and tools/ (not build output) that read VAR at run
    time: $VAR/${VAR...} in shell, os.environ/getenv in Python, env::var in Rust;
    comments left out."""
    readers = []
    sh = re.compile(r"\$\{?" + re.escape(var) + r"\b")
    py = re.compile(r"(environ\b.*[\"']" + re.escape(var) + r"[\"']|getenv\(\s*[\"']" + re.escape(var) + r"[\"'])")
    rs = re.compile(r"\bvar(_os)?\(\s*\"" + re.escape(var) + r"\"\s*\)")
    for root in ("scripts", "tools"):
        for d, dirs, files in os.walk(os.path.join(TOP, root)):
            dirs[:] = [x for x in dirs if x not in ("target", "corpus", "artifacts", ".git")]
            for f in files:
                p = os.path.join(d, f)
                if os.path.islink(p) or os.path.abspath(p) == os.path.abspath(__file__):
                    continue
                ext = os.path.splitext(f)[1]
                if ext not in (".sh", ".py", ".rs", ""):
                    continue
                try:
                    text = read(p)
                except OSError:
                    continue
                if ext == "" and not text.startswith("#!"):
                    continue
                if ext == ".rs":
                    code = [l for l in text.splitlines() if not l.lstrip().startswith("//")]
                    pat = rs
                elif ext == ".py" or text.startswith("#!/usr/bin/env python"):
                    code = [l for l in text.splitlines() if not l.lstrip().startswith("#")]
                    pat = py
                else:
                    code = [l for l in text.splitlines() if not l.lstrip().startswith("#")]
                    pat = sh
                if any(pat.search(l) for l in code):
                    readers.append(rel(p))
    return sorted(readers)


def list_mode(script, env_extra=None):
    """The lines `SCRIPT --list` prints (it builds and boots nothing), or None if it fails."""
    env = {k: v for k, v in os.environ.items() if k not in ("RV6_SELFTESTS", "RV6_SMOKE", "RV6_SLOW", "BENCH")}
    env.update(env_extra or {})
    r = subprocess.run([os.path.join(TOP, script), "--list"], capture_output=True, text=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=60)
    if r.returncode != 0:
        return None
    return [l for l in r.stdout.splitlines() if l.strip()]


# ---------------------------------------------------------------- the README

def section(lines, title):
    """(first line number, lines) of the README section '## TITLE', up to the next '## '."""
    for i, l in enumerate(lines):
        if l.strip() == f"## {title}":
            j = i + 1
            while j < len(lines) and not lines[j].startswith("## "):
                j += 1
            return i + 2, lines[i + 1:j]
    return None, None


def fenced(first, lines):
    """(line number, text) of the lines of the first ``` block in lines."""
    out, inside = [], False
    for n, l in enumerate(lines, first):
        if l.startswith("```"):
            if inside:
                return out
            inside = True
        elif inside:
            out.append((n, l))
    return out


def code_spans(numbered):
    """(line number, text) of each `code span` in the numbered lines (a span
    may cross a line break)."""
    text = "\n".join(l for _, l in numbered)
    spans = []
    for m in re.finditer(r"`([^`]+)`", text):
        n = numbered[text.count("\n", 0, m.start())][0]
        spans.append((n, m.group(1).replace("\n", " ")))
    return spans


def parse_command(text):
    """(assignments {VAR: value}, make targets or None, bare variable names) of a
    README command such as "BENCH=mip6 make bench" or "RV6_KCACHE"."""
    try:
        words = shlex.split(text, comments=True)
    except ValueError:
        return {}, None, []
    assigns = {}
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        k, v = words.pop(0).split("=", 1)
        assigns[k] = v
    if words and words[0] == "make":
        targets = []
        for w in words[1:]:
            if "=" in w:
                k, v = w.split("=", 1)
                assigns[k] = v
            elif not w.startswith("-"):
                targets.append(w)
        return assigns, targets, []
    if not words and assigns:
        return assigns, None, []
    if len(words) == 1 and re.match(r"^[A-Z][A-Z0-9]*_[A-Z0-9_]+$", words[0]):
        return assigns, None, [words[0]]
    return assigns, None, []


def layout_entries(block):
    """[(line number, [first-column paths], description, its lines)] of the layout block:
    an entry starts at column 0 and goes on in the indented lines below."""
    entries = []
    for n, l in block:
        if not l.strip():
            continue
        if not l[0].isspace():
            m = re.match(r"^(\S(?:.*?\S)?)(?:\s{2,}(.*))?$", l)
            paths = [p.strip() for p in m.group(1).split(",") if p.strip()]
            entries.append([n, paths, m.group(2) or "", [(n, l)]])
        elif entries:
            entries[-1][2] += " " + l.strip()
            entries[-1][3].append((n, l))
    return entries


def brace_expand(tok):
    m = re.search(r"\{([^{}]*)\}", tok)
    if not m:
        return [tok]
    return [x for alt in m.group(1).split(",") for x in brace_expand(tok[:m.start()] + alt + tok[m.end():])]


def path_exists(tok, base):
    """A layout path: from the tree's top, from its entry's directory, or
    anywhere below that directory; <placeholder> stands for any name."""
    pat = re.sub(r"<[^>]*>", "*", tok)
    for cand in (os.path.join(TOP, pat), os.path.join(base, pat), os.path.join(base, "**", pat)):
        if glob.glob(cand, recursive=True):
            return True
    return False


def main():
    args = sys.argv[1:]
    counts = None
    if args[:1] == ["--counts"] and len(args) == 2:
        counts = args[1]
    elif args:
        sys.exit(__doc__)
    lines = read(README).splitlines()
    rules, phony = make_database()
    print(f"readme-doctest: {README_NAME} against the Makefile, scripts/ and tools/ of {TOP}")

    # -- the commands: (line, text) from the two-commands block, the table, the text after it.
    commands = []
    first, sec = section(lines, "The two commands")
    if sec is None:
        fail(0, "no '## The two commands' section")
    else:
        commands += [(n, re.sub(r"\s+#.*$", "", l).strip()) for n, l in fenced(first, sec) if l.strip()]
    first, sec = section(lines, "Everyday use")
    after = []
    if sec is None:
        fail(0, "no '## Everyday use' section")
    else:
        table = [(n, l) for n, l in enumerate(sec, first) if l.startswith("|")]
        if len(table) < 3:
            fail(first, "the 'Everyday use' table is missing")
        for n, l in table[2:]:  # past the header and its |---| line
            cells = l.strip().strip("|").split("|")
            spans = code_spans([(n, cells[0])])
            if not spans:
                fail(n, f"table row without a `command`: {l.strip()}")
            commands += spans
        last = table[-1][0] if table else first
        after = [(n, l) for n, l in enumerate(sec, first) if n > last]
        commands += code_spans(after)

    check_target = rules.get("check")
    check_script = own_scripts(rules, "check")[0] if check_target and own_scripts(rules, "check") else None
    phases = check_phases(check_script) if check_script else {}
    if not check_script:
        fail(0, "the Makefile has no `check` target running a script")
    readme_targets = set()
    for n, text in commands:
        assigns, targets, names = parse_command(text)
        if targets is None and not assigns and not names:
            print(f"     {README_NAME}:{n}: `{text}` is not a command or variable: not checked")
            continue
        for t in targets or []:
            readme_targets.add(t)
            if t not in rules:
                fail(n, f"`{text}`: the Makefile has no target {t} "
                        f"(its targets: {' '.join(sorted(x for x in rules if x in phony))})")
                continue
            if t not in phony:
                fail(n, f"`{text}`: target {t} is not .PHONY (a file or directory named {t} would stop it)")
                continue
            scripts = target_scripts(rules, t)
            if not scripts:
                fail(n, f"`{text}`: `make {t}` runs no script of the tree, so make check cannot run it: "
                        f"test it some other way and name it in NOT_RUN_BY_CHECK ({rel(__file__)})")
                continue
            if t == "check":
                ok(n, f"`make check` runs {check_script}, phases: "
                      + ", ".join(f"{'/'.join(v)}={k}" for k, v in sorted(phases.items())))
                continue
            missing = [s for s in scripts if s not in phases]
            how = NOT_RUN_BY_CHECK.get(t)
            if how and not missing:
                fail(n, f"`make {t}`: make check runs it now ({', '.join(scripts)}): "
                        f"drop it from NOT_RUN_BY_CHECK in {rel(__file__)}")
            elif how == "guest-halves":
                check_guest_halves(n, t, rules)
            elif how == "flags":
                check_flags(n, t, rules, check_script)
            elif missing:
                fail(n, f"`{text}` runs {', '.join(missing)}, which no phase of {check_script} runs "
                        f"(phases: {' '.join(sorted({p for v in phases.values() for p in v}))}); "
                        f"run it there, or test it some other way and name it in NOT_RUN_BY_CHECK")
            else:
                ran = [f"{s} (phase {'/'.join(phases[s])})" for s in dict.fromkeys(scripts)]
                ok(n, f"`make {t}`: {', '.join(ran)}")
        # -- variables: read by someone, and by the script the command's make target runs.
        for var in list(assigns) + names:
            readers = env_readers(var)
            if not readers:
                fail(n, f"`{text}`: no script or program under scripts/ or tools/ reads {var}")
                continue
            if targets:
                runs = {f for t in targets for s in own_scripts(rules, t) for f in sourced(s)}
                if not runs & set(readers):
                    fail(n, f"`{text}`: {var} is read by {', '.join(readers)}, not by what "
                            f"`make {' '.join(targets)}` runs ({', '.join(sorted(runs))})")
                    continue
            ok(n, f"{var} is read by {', '.join(readers[:4])}{' ...' if len(readers) > 4 else ''}")
        # -- values, by the script that takes them.
        for var, value in assigns.items():
            if var not in VALUE_CHECKS:
                continue
            target, kind = VALUE_CHECKS[var]
            script = (own_scripts(rules, target) or [None])[0]
            if not script:
                fail(n, f"`{text}`: no `make {target}` script to check {var}={value} against")
                continue
            if kind == "member":
                listed = list_mode(script)
                if listed is None:
                    fail(n, f"`{text}`: `{script} --list` failed")
                elif value not in listed:
                    fail(n, f"`{text}`: {var}={value} is not one of `{script} --list`: {' '.join(listed)}")
                else:
                    ok(n, f"{var}={value} is one of `{script} --list`: {' '.join(listed)}")
            else:
                listed = list_mode(script, {var: value})
                if listed is None:
                    fail(n, f"`{text}`: `{var}={value} {script} --list` failed")
                elif not listed:
                    fail(n, f"`{text}`: {var}={value} selects no suite (`{var}='{value}' {script} --list` prints none)")
                else:
                    ok(n, f"{var}={value} selects {' '.join(listed)}")
    for t in NOT_RUN_BY_CHECK:
        if t not in readme_targets:
            print(f"     {rel(__file__)}: NOT_RUN_BY_CHECK names `make {t}`, which the README does not")

    # -- the layout: every path it names exists.
    first, sec = section(lines, "Layout")
    if sec is None:
        fail(0, "no '## Layout' section")
    else:
        block = fenced(first, sec)
        if not block:
            fail(first, "the layout block is missing")
        for n, paths, desc, entry_lines in layout_entries(block):
            bad = [p for p in paths if not os.path.exists(os.path.join(TOP, p))]
            base = os.path.join(TOP, paths[0]) if len(paths) == 1 and paths[0].endswith("/") else TOP
            desc = re.sub(r"\{[^}]*\}", lambda m: re.sub(r"\s+", "", m.group(0)), desc)
            if re.fullmatch(r"[\w-]+(\s*,\s*[\w-]+)+", desc.strip()):
                # A bare list of names ("deps, kernel, ..."): files of the entry's directory.
                names = [x.strip() for x in desc.split(",")]
                bad += [f"{paths[0]}{x}" for x in names if not glob.glob(os.path.join(base, x + "*"))]
                named = paths + [f"{paths[0]}{x}*" for x in names]
            else:
                toks = re.findall(r"(?:\{[^}]*\}|[^\s(),;:{}])+", desc)
                toks = [t.rstrip(".") for t in toks]
                toks = [t for t in toks if "/" in t and "://" not in t
                        or re.search(r"\.(rs|env|8|toml|ya?ml|sh|py|config|rst)$", t)]
                # A name in a list, glossed in parentheses ("..., ktap (KTAP + bug
                # report parser), ..."), or one that opens the description with a
                # colon ("rv6_nf_count: ..."), is something below the entry's
                # directory, a file with a suffix or not.
                glossed = re.findall(r"(?:^|[:,;]\s*|\band\s+)([\w][\w.-]*) \(", desc)
                glossed += re.findall(r"^([\w][\w.-]*):\s", desc)
                glossed = [t for t in glossed if t not in toks]
                named = list(paths)
                for t in toks:
                    for x in brace_expand(t):
                        named.append(x)
                        if not path_exists(x, base):
                            bad.append(x)
                            # The line that names it (where a {,} list begins, if it spans lines).
                            head = t.split("{")[0] or t
                            n = next((m for m, l in entry_lines if head in l), n)
                for t in glossed:
                    named.append(t)
                    if not (path_exists(t, base) or path_exists(t + ".*", base)):
                        bad.append(t)
            if bad:
                fail(n, f"layout: {', '.join(bad)} does not exist (entry {', '.join(paths)})")
            else:
                ok(n, f"layout: {' '.join(named)}")

    print(f"readme-doctest: {passed} passed, {failed} failed")
    if counts:
        with open(counts, "w") as f:
            f.write(f"{passed} {failed} 0\n")
    sys.exit(1 if failed else 0)


def check_guest_halves(n, t, rules):
    """make run / make shell: each tools/testing/ script the target's script
    hands to the guest must be run by a selftest test-guest.sh selects."""
    halves = set()
    ran = own_scripts(rules, t)
    for s in ran:
        halves |= set(re.findall(r"\$top/(tools/testing/[\w.-]+\.sh)", read(os.path.join(TOP, s))))
    tg = (own_scripts(rules, "test-guest") or [None])[0]
    suites = list_mode(tg) if tg else None
    if not halves:
        fail(n, f"`make {t}` hands no tools/testing/ script to its guest: what does it test?")
        return
    if suites is None:
        fail(n, f"`make {t}`: `{tg} --list` failed")
        return
    where = []
    for h in sorted(halves):
        users = [s for s in suites
                 if re.search(r"(^|[/\"$])" + re.escape(os.path.basename(h)) + r"\b",
                              read(os.path.join(TOP, "tools/testing/selftests/rv6", s)))]
        if users:
            where.append(f"{h} by {', '.join(users)}")
        else:
            fail(n, f"`make {t}` runs {', '.join(ran)}, which hands {h} to a guest, "
                    f"and no selftest `{tg} --list` selects runs it")
    if len(where) == len(halves):
        ok(n, f"`make {t}` (not run by make check): its guest half {'; '.join(where)}")


def check_flags(n, t, rules, check_script):
    """make check-debug, make bench: their recipes, variables and --list modes."""
    scripts = own_scripts(rules, t)
    notes = []
    for assigns, argv in recipe_commands(rules[t][1]):
        for var, value in assigns.items():
            readers = set(env_readers(var))
            src = {f for s in scripts for f in sourced(s)}
            if not readers & src:
                fail(n, f"`make {t}` sets {var}={value}, which {', '.join(sorted(src))} never read")
                return
            notes.append(f"{var}={value} (read by {', '.join(sorted(readers & src))})")
    if check_script in scripts:
        notes.append(f"runs {check_script}, make check's own script")
    for var, (target, _) in VALUE_CHECKS.items():
        if target == t:
            for s in scripts:
                listed = list_mode(s)
                if not listed:
                    fail(n, f"`make {t}`: `{s} --list` prints no {var} value")
                    return
                notes.append(f"{s} --list: {' '.join(listed)}")
    ok(n, f"`make {t}` (not run by make check; its target and flags checked): "
          f"{', '.join(scripts)}; {'; '.join(notes)}")


if __name__ == "__main__":
    main()
