#!/usr/bin/python3
"""docs_check.py: the checks of harness/t/test_docs.sh, as TAP lines.

usage: docs_check.py ROOT PG_TLS_PROBE

ROOT is the checkout.  Checks README.md and doc/*.md:
  - every ```console block runs in the caller's sandbox (test_docs.sh sets
    the environment up), its output loosely compared with the block's;
  - every relative link resolves, a #anchor to a heading (GitHub's slugs);
  - every function and view of the newest extension script, every
    pg_tls_audit.* setting, every finding name the extension can emit, and
    every pg_tls_probe subcommand and long option appears in doc/*.md.
Names are read from the code, never from a list.  Ends with
"N passed, N failed"; exits 1 on any failure.

The convention (docs-contract): a ```console block holds commands, each
line starting with "$ " (a trailing backslash continues it), followed by
its expected output until the next "$ ".  A line of "..." elides; numbers,
fingerprints, times and paths under /tmp are volatile and compared as
placeholders; whitespace runs are one space.  A command must exit 0; a
pg_tls_probe command may exit 1 (its verdict for a finding or deviation);
an expected-output line "[exit N]" expects status N.  One HTML comment line
before the block changes how it is checked:
  <!-- docs-test: illustrative: REASON -->  not run
  <!-- docs-test: suite -->  make targets and files checked to exist
  <!-- docs-test: sql -->    each "$ " line is fed to psql
"""

import glob
import os
import re
import subprocess
import sys
import time

COMMAND_TIMEOUT = 30

results = []


def ok(passed, what):
    results.append(passed)
    print("%s %d - %s" % ("ok" if passed else "not ok", len(results), what))
    sys.stdout.flush()


def doc_files(root):
    return [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "doc", "*.md")))


def rel(root, path):
    return os.path.relpath(path, root)


# ---------------------------------------------------------------- blocks

def console_blocks(path):
    """(line number, mode, [(command, [expected line, ...]), ...]) per block."""
    lines = open(path, encoding="utf-8").read().split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        fence = re.match(r"^(\s*)(```+|~~~+)\s*(\S*)", lines[i])
        if not fence:
            i += 1
            continue
        marker, tag = fence.group(2), fence.group(3)
        start = i
        i += 1
        body = []
        while i < len(lines) and not lines[i].strip().startswith(marker):
            body.append(lines[i][len(fence.group(1)):] if lines[i].startswith(fence.group(1)) else lines[i])
            i += 1
        i += 1
        if tag != "console":
            continue
        mode = "run"
        prev = lines[start - 1].strip() if start > 0 else ""
        m = re.match(r"^<!--\s*docs-test:\s*([a-z]+)(?::\s*(.*?))?\s*-->$", prev)
        if m:
            mode = m.group(1)
            if mode == "illustrative" and not (m.group(2) or "").strip():
                mode = "illustrative-without-reason"
        commands = []
        j = 0
        while j < len(body):
            if body[j].startswith("$ "):
                cmd = body[j][2:]
                while cmd.endswith("\\") and j + 1 < len(body):
                    j += 1
                    cmd = cmd + "\n" + body[j]
                commands.append((cmd, []))
            elif commands:
                commands[-1][1].append(body[j])
            j += 1
        blocks.append((start + 1, mode, commands))
    return blocks


VOLATILE = [
    (re.compile(r"/tmp/[^\s'\"]*"), "<path>"),
    (re.compile(r"\b(?:[0-9A-Fa-f]{2}:){7,}[0-9A-Fa-f]{2}\b"), "<hex>"),
    (re.compile(r"\b[0-9a-f]{16,}\b"), "<hex>"),
    (re.compile(r"\d+(?:[.:,]\d+)*"), "<n>"),
    (re.compile(r"\s+"), " "),
]


def normalize(text):
    for pattern, placeholder in VOLATILE:
        text = pattern.sub(placeholder, text)
    return text.strip()


def compare(expected, output):
    """The expected lines missing from output, and the exit status expected."""
    want_status = None
    missing = []
    got = normalize(output)
    for line in expected:
        m = re.match(r"^\[exit (\d+)\]$", line.strip())
        if m:
            want_status = int(m.group(1))
            continue
        norm = normalize(line)
        if norm in ("", "...") or norm not in got:
            if norm not in ("", "..."):
                missing.append(line.strip())
    return missing, want_status


def run_command(root, argv, stdin=None):
    try:
        p = subprocess.run(argv, cwd=root, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=COMMAND_TIMEOUT,
                           universal_newlines=True, errors="replace")
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout if isinstance(e.stdout, str) else (e.stdout or b"").decode("utf-8", "replace")
        return None, out + "\n(timed out after %d s)" % COMMAND_TIMEOUT


def first_line(cmd):
    line = cmd.split("\n")[0]
    return line if len(line) <= 90 else line[:87] + "..."


def check_suite_command(root, cmd):
    """Whether a suite command names a make target or a file that exists."""
    words = cmd.split()
    if len(words) >= 2 and words[0] == "make":
        targets = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        makefile = open(os.path.join(root, "Makefile"), encoding="utf-8").read()
        absent = [t for t in targets if not re.search(r"^%s\s*:" % re.escape(t), makefile, re.M)]
        return not absent, "no make target %s" % ", ".join(absent)
    files = [w for w in words[1:] if "/" in w or w.endswith((".sh", ".py"))]
    absent = [f for f in files if not os.path.exists(os.path.join(root, f))]
    return bool(files) and not absent, "no file %s" % (", ".join(absent) or "named")


def check_blocks(root, probe):
    for path in doc_files(root):
        for lineno, mode, commands in console_blocks(path):
            where = "%s:%d" % (rel(root, path), lineno)
            if not commands:
                ok(False, "%s: a console block with no \"$ \" command" % where)
                continue
            if mode == "illustrative":
                print("# %s: illustrative, not run" % where)
                continue
            if mode not in ("run", "suite", "sql"):
                ok(False, "%s: unknown docs-test marker \"%s\" (illustrative: REASON, suite or sql)" % (where, mode))
                continue
            for cmd, expected in commands:
                label = "%s: %s" % (where, first_line(cmd))
                if mode == "suite":
                    good, why = check_suite_command(root, cmd)
                    ok(good, "%s%s" % (label, "" if good else ": " + why))
                    continue
                t0 = time.time()
                if mode == "sql":
                    status, output = run_command(root, ["psql", "-X", "-v", "ON_ERROR_STOP=1"], stdin=cmd + "\n")
                else:
                    status, output = run_command(root, ["bash", "-c", cmd])
                missing, want_status = compare(expected, output)
                if want_status is not None:
                    good_status = status == want_status
                else:
                    good_status = status == 0 or (status == 1 and cmd.lstrip().startswith("pg_tls_probe "))
                problems = []
                if not good_status:
                    problems.append("exit %s%s" % (status, "" if want_status is None else ", expected %d" % want_status))
                if missing:
                    problems.append("%d expected line(s) missing, first: \"%s\"" % (len(missing), missing[0][:120]))
                ok(not problems, "%s (%.1f s)%s" % (label, time.time() - t0, ": " + "; ".join(problems) if problems else ""))
                if problems:
                    for out_line in output.strip().split("\n")[-8:]:
                        print("#   | %s" % out_line[:160])


# ---------------------------------------------------------------- links

def github_slug(heading):
    text = re.sub(r"<[^>]+>", "", heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    out = set()
    counts = {}
    in_fence = False
    for line in open(path, encoding="utf-8"):
        if re.match(r"^\s*(```|~~~)", line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            slug = github_slug(m.group(1))
            n = counts.get(slug, 0)
            counts[slug] = n + 1
            out.add(slug if n == 0 else "%s-%d" % (slug, n))
        for a in re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", line):
            out.add(a)
    return out


def links(path):
    """(line number, target) of every link outside code."""
    in_fence = False
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if re.match(r"^\s*(```|~~~)", line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        line = re.sub(r"`[^`]*`", "", line)
        for target in re.findall(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", line):
            yield n, target
        m = re.match(r"^\s*\[[^\]]+\]:\s*(\S+)", line)
        if m:
            yield n, m.group(1)
        for target in re.findall(r"<a\s+href=\"([^\"]+)\"", line):
            yield n, target


def check_links(root):
    cache = {}
    for path in doc_files(root):
        bad = []
        count = 0
        for n, target in links(path):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                continue
            count += 1
            file_part, _, frag = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            if not os.path.exists(dest):
                bad.append("line %d: %s: no such file" % (n, target))
                continue
            if frag and dest.endswith(".md"):
                if dest not in cache:
                    cache[dest] = anchors(dest)
                if frag.lower() not in cache[dest]:
                    bad.append("line %d: %s: no heading with anchor #%s in %s" % (n, target, frag, rel(root, dest)))
        ok(not bad, "%s: %d relative links resolve%s" % (rel(root, path), count, "" if not bad else ": " + "; ".join(bad)))


# ---------------------------------------------------------------- names

def newest_script(root):
    def version(p):
        return tuple(int(x) for x in re.search(r"--([\d.]+)\.sql$", p).group(1).split("."))
    scripts = [p for p in glob.glob(os.path.join(root, "extension", "pg_tls_audit--*.sql"))
               if re.match(r"^pg_tls_audit--[\d.]+\.sql$", os.path.basename(p))]
    return max(scripts, key=version)


def without_test_hooks(text):
    return re.sub(r"#ifdef PG_TLS_AUDIT_TEST_HOOKS.*?#endif", "", text, flags=re.S)


def call_args(text, start):
    """The top-level arguments of the call whose "(" is at text[start]."""
    depth, args, cur, i, quoted = 0, [], "", start, False
    while i < len(text):
        ch = text[i]
        if quoted:
            cur += ch
            if ch == "\\":
                cur += text[i + 1]
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
            cur += ch
        elif ch == "(":
            depth += 1
            if depth > 1:
                cur += ch
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append(cur.strip())
                return args
            cur += ch
        elif ch == "," and depth == 1:
            args.append(cur.strip())
            cur = ""
        else:
            cur += ch
        i += 1
    return args


def calls(text, function):
    for m in re.finditer(r"\b%s\s*\(" % function, text):
        yield call_args(text, m.end() - 1)


def functions_of(text):
    """(name, parameters, start, end) of each function defined in C text."""
    heads = list(re.finditer(r"^(\w+)\(([^)]*)\)\s*\n\{", text, re.M))
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        yield m.group(1), [p.strip() for p in m.group(2).split(",")], m.start(), end


def finding_names(root):
    """
    Every check name add_finding() or a link judgement can carry: a literal,
    or "%s_suffix" of a prefix, which is the literal the enclosing function's
    callers pass as its "prefix" parameter (or, for src->prefix, the callers
    of the function that fills src.prefix).
    """
    names = set()
    c_files = glob.glob(os.path.join(root, "extension", "*.c")) + glob.glob(os.path.join(root, "common", "*.c"))
    for path in c_files:
        text = without_test_hooks(open(path, encoding="utf-8").read())
        functions = list(functions_of(text))
        prefixes = {}
        for name, params, start, end in functions:
            for k, p in enumerate(params):
                if re.search(r"\bprefix$", p):
                    prefixes[name] = {a[k].strip('"') for a in calls(text, name)
                                      if len(a) > k and re.match(r'^"\w+"$', a[k])}
        filler = [name for name, _, start, end in functions if re.search(r"\bsrc\.prefix = prefix;", text[start:end])]
        for name, params, start, end in functions:
            body = text[start:end]
            for function, k in (("add_finding", 2), ("set_verdict", 3)):
                for args in calls(body, function):
                    if len(args) <= k:
                        continue
                    arg = args[k]
                    if re.match(r'^"\w+"$', arg):
                        names.add(arg.strip('"'))
                    m = re.match(r'^psprintf\(\s*"%s(_\w+)"\s*,\s*(src->)?prefix\s*\)$', arg)
                    if m:
                        owner = filler[0] if m.group(2) and filler else name
                        names.update(p + m.group(1) for p in prefixes.get(owner, ()))
    return names


def extension_names(root):
    script = open(newest_script(root), encoding="utf-8").read()
    functions = set(re.findall(r"^CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(?:[\w@]+\.)?(\w+)\s*\(", script, re.M | re.I))
    views = set(re.findall(r"^CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(?:[\w@]+\.)?(\w+)", script, re.M | re.I))
    gucs = set()
    for path in glob.glob(os.path.join(root, "extension", "*.c")):
        text = without_test_hooks(open(path, encoding="utf-8").read())
        gucs.update(re.findall(r'DefineCustom\w+Variable\(\s*"(pg_tls_audit\.\w+)"', text))
    return [("function", functions), ("view", views), ("setting", gucs), ("finding", finding_names(root))]


def probe_names(probe):
    def helptext(*args):
        return subprocess.run([probe] + list(args) + ["--help"], stdout=subprocess.PIPE,
                              universal_newlines=True).stdout
    top = helptext()
    section = top.split("Subcommands:", 1)[1].split("\n\n", 1)[0] if "Subcommands:" in top else ""
    subs = re.findall(r"^  ([a-z]+)\s", section, re.M)
    options = set(re.findall(r"(--[a-z][a-z0-9-]*)", top))
    for sub in subs:
        options.update(re.findall(r"(--[a-z][a-z0-9-]*)", helptext(sub)))
    return [("pg_tls_probe subcommand", set(subs)), ("pg_tls_probe option", options)]


def check_names(root, probe):
    text = "\n".join(open(p, encoding="utf-8").read() for p in sorted(glob.glob(os.path.join(root, "doc", "*.md"))))
    for kind, names in extension_names(root) + probe_names(probe):
        if kind == "pg_tls_probe subcommand":
            absent = [n for n in names if not re.search(r"pg_tls_probe %s\b" % n, text)]
        else:
            absent = [n for n in names if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(n), text)]
        ok(bool(names) and not absent, "every %s (%d, from the code) appears in doc/*.md%s"
           % (kind, len(names), ": missing " + ", ".join(sorted(absent)) if absent else ""))


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: docs_check.py ROOT PG_TLS_PROBE\n")
        return 2
    root, probe = os.path.abspath(sys.argv[1]), sys.argv[2]
    check_links(root)
    check_names(root, probe)
    check_blocks(root, probe)
    failed = results.count(False)
    print("1..%d" % len(results))
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
