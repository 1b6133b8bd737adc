#!/usr/bin/python3
"""recipes.py: doc/recipes.md, "the guide, corrected", from one real run.

Reads the JSON reports of `pg_tls_probe drivers` for each environment of one
`make test-drivers` (harness/drivers/build/host.json, current.json) and the
guide's claims (harness/recipes/claims.json), and judges each claim on the
cells that decide it.  Only the standard library: it runs in CI as is.

usage:
  recipes.py --write PAGE VERDICTS CLAIMS REPORT.json...
      writes the page and its machine-readable verdicts (every row's verdict
      per environment, every claim's mark)
  recipes.py --check VERDICTS REPORT.json...
      exit 0 when these reports give the committed verdicts, 1 (naming each
      difference) when not, 2 when it cannot read them

A claim's mark: holds (in every environment it applies to), wrong (in none),
outdated (holds on the older environment, no longer on the newer one), or
not measured (none of its rows ran).  Rows may come and go: a claim is
judged on the rows a run has.
"""

import json
import os
import sys

SERVER_BAD = ("mismatch", "untrusted-ca", "expired")
ATTACKS = ("forge", "strip")
TESTS = ("works", "checks", "verifies", "not-verifies", "refuses-attacks", "same-as")


def load_reports(paths):
    """The reports in the order given (the older environment first)."""
    reports = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        report["by_driver"] = {r["driver"]: r for r in report["rows"]}
        reports.append(report)
    return reports


def cells(row):
    """A row's observed word per column, or None when it did not run."""
    if row is None or row.get("unavailable") or not row.get("columns"):
        return None
    return {c: v["observed"] for c, v in row["columns"].items()}


def works(c):
    return c["good"] == "connects"


def checks(c):
    return all(c[k] == "refused" for k in SERVER_BAD + ATTACKS)


def passes(test, row, report, claim):
    """Whether one row passes a claim's test in one report; None: not run."""
    c = cells(row)
    if c is None:
        return None
    if test == "works":
        return works(c)
    if test == "checks":
        return checks(c)
    if test == "verifies":
        return works(c) and checks(c)
    if test == "not-verifies":
        return not (works(c) and checks(c))
    if test == "refuses-attacks":
        return all(c[k] == "refused" for k in ATTACKS)
    # same-as: the row at the same position of the claim's rows in same_as,
    # or any row there for a client on another driver (Django)
    others = [cells(report["by_driver"].get(n)) for n in claim["same_as"]]
    return any(o == c for o in others if o is not None)


def row_version(row):
    v = row.get("version") or "-"
    if row.get("libpq") and "libpq" not in v:
        v += ", libpq " + row["libpq"]
    return v


def evidence(row, env):
    """One measured row, in a few words, for the page."""
    c = cells(row)
    order = ("good", "mismatch", "untrusted-ca", "expired", "forge", "intercept", "intercept-strip-cb", "strip")
    shown = "; ".join("%s: %s" % (k, c[k]) for k in order if k in c)
    return "`%s` on %s (%s): %s" % (row["driver"], env, row_version(row), shown)


def judge_claim(claim, reports, only=None):
    """(mark, per-environment lines) for one claim, on its rows (those in
    only, when given: a client's section shows its own rows' evidence)."""
    if "by_reading" in claim:
        return claim["by_reading"].split(":")[0], [claim["by_reading"]]
    envs = claim.get("environments")
    per_env = []
    lines = []
    for report in reports:
        env = report["environment"]
        if envs is not None and env not in envs:
            continue
        results = []
        for name in claim["rows"]:
            if only is not None and name not in only:
                continue
            row = report["by_driver"].get(name)
            ok = passes(claim["test"], row, report, claim)
            if ok is None:
                continue
            results.append(ok)
            lines.append(("holds: " if ok else "does not hold: ") + evidence(row, env))
        if results:
            per_env.append((env, all(results)))
    if not per_env:
        return "not measured", ["no row of %s ran in this run" % ", ".join("`%s`" % r for r in claim["rows"])]
    held = [ok for _, ok in per_env]
    if all(held):
        mark = "holds"
    elif not any(held):
        mark = "wrong"
    elif held[0] and not held[-1]:
        mark = "outdated"
    else:
        mark = "wrong"
    if mark == "wrong" and any(held):
        lines.insert(0, "holds only on " + ", ".join(e for e, ok in per_env if ok))
    return mark, lines


def row_verdict(row):
    if row is None:
        return None
    if row.get("unavailable"):
        return "unavailable"
    return row["claim"]


def verdicts(reports, claims):
    """The machine-readable verdicts of a run: what --check compares."""
    rows = {}
    for report in reports:
        for row in report["rows"]:
            rows.setdefault(row["driver"], {})[report["environment"]] = row_verdict(row)
    marks = {c["id"]: judge_claim(c, reports)[0] for c in claims}
    return {"rows": rows, "claims": marks}


def md_code(s):
    return "`%s`" % s.replace("`", "'") if s else "-"


def write_page(page, reports, claims):
    envs = [r["environment"] for r in reports]
    titles = []
    for report in reports:
        for row in report["rows"]:
            if row["title"] not in titles:
                titles.append(row["title"])
    out = []
    w = out.append
    w("# The guide, corrected")
    w("")
    w("Generated by `make recipes` from one `make test-drivers` run (do not edit; "
      "`harness/recipes/recipes.py`, the claims in `harness/recipes/claims.json`). Environments: " +
      "; ".join("**%s** (pg_tls_probe %s linked with libpq %d.%d, %d rows)" %
                (r["environment"], r["pg_tls_probe"], r["libpq"] // 10000, r["libpq"] % 100, len(r["rows"]))
                for r in reports) +
      ". A recipe *holds* when the client connects over TLS to the good server and refuses the "
      "wrong host, the untrusted CA, the expired certificate, the forging and the stripping proxy "
      "(a trusted interceptor is not held against it). How the cells were measured: "
      "[doc/drivers.md](drivers.md). `make test-drivers` fails when a fresh run's verdicts "
      "differ from this page's (`harness/recipes/verdicts.json`).")
    w("")
    w("## The guide's claims")
    w("")
    w("| client | section | the guide says | mark |")
    w("|---|---|---|---|")
    judged = {c["id"]: judge_claim(c, reports) for c in claims}
    for c in claims:
        w("| %s | %s | %s | **%s** |" % (c["client"], c["section"], c["claim"], judged[c["id"]][0]))
    w("")
    for title in titles:
        w("## " + title)
        w("")
        rows = []
        for report in reports:
            for row in report["rows"]:
                if row["title"] == title and row["driver"] not in rows:
                    rows.append(row["driver"])
        w("| row | setting | " + " | ".join(envs) + " |")
        w("|---|---|" + "---|" * len(envs))
        for name in rows:
            first = next(r["by_driver"][name] for r in reports if name in r["by_driver"])
            setting = md_code(first["recipe"])
            if first.get("addition"):
                setting += " + " + first["addition"]
            tag = {"recipe": " (the guide's recipe)", "default": " (no setting)",
                   "generic": " (the guide's generic string)"}.get(first["variant"], "")
            if first["variant"].startswith("hardened"):
                tag = " (hardened)"
            line = "| `%s`%s | %s |" % (name, tag, setting)
            for report in reports:
                row = report["by_driver"].get(name)
                if row is None:
                    line += " not run |"
                elif row.get("unavailable"):
                    line += " unavailable: %s |" % row["unavailable"]
                else:
                    line += " %s%s (%s) |" % ("**holds**" if row["claim_holds"] else "",
                                              "" if row["claim_holds"] else row["claim"], row_version(row))
            w(line)
        w("")
        hardened = [n for n in rows
                    if next(r["by_driver"][n] for r in reports if n in r["by_driver"])["variant"].startswith("hardened")]
        if hardened:
            for name in hardened:
                held = [r for r in reports if name in r["by_driver"] and r["by_driver"][name]["claim_holds"]]
                failed = [r for r in reports if name in r["by_driver"] and not r["by_driver"][name]["claim_holds"]]
                row = held[0]["by_driver"][name] if held else next(r["by_driver"][name] for r in reports if name in r["by_driver"])
                w("Hardened recipe `%s`: %s%s. Held on: %s%s." % (
                    name, md_code(row["recipe"]), (" + " + row["addition"]) if row.get("addition") else "",
                    ", ".join("%s (%s)" % (r["environment"], row_version(r["by_driver"][name])) for r in held) or "none",
                    ("; not on " + ", ".join("%s (%s: %s)" % (r["environment"], row_version(r["by_driver"][name]),
                                                               row_verdict(r["by_driver"][name])) for r in failed))
                    if failed else ""))
        else:
            w("Hardened recipe: no `-hardened` row of this client ran in this run.")
        w("")
        # a claim about a client whose rows are split over several titles
        # (one per Npgsql major) is shown under each, on that title's rows
        mine = [c for c in claims
                if c["client"] == title or ("by_reading" not in c and set(c["rows"]) & set(rows))]
        if mine:
            w("The guide's claims about it:")
            w("")
            for c in mine:
                mark, lines = judge_claim(c, reports, None if c["client"] == title else set(rows))
                w("- **%s**: %s (%s)." % (mark, c["claim"], c["section"]))
                for line in lines:
                    w("  - " + line)
            w("")
    w("## Verdicts")
    w("")
    w("Machine-readable, what `make test-drivers` compares a fresh run with: "
      "[`harness/recipes/verdicts.json`](../harness/recipes/verdicts.json).")
    with open(page, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def diff(old, new):
    """Each difference between two verdict sets, as a sentence."""
    out = []
    for kind in ("rows", "claims"):
        for key in sorted(set(old.get(kind, {})) | set(new.get(kind, {}))):
            a = old.get(kind, {}).get(key)
            b = new.get(kind, {}).get(key)
            if a != b:
                out.append("%s %s: the page says %s, this run %s" % (kind[:-1], key, json.dumps(a), json.dumps(b)))
    return out


def main(argv):
    try:
        if len(argv) >= 5 and argv[1] == "--write":
            page, verdict_path, claims_path = argv[2:5]
            reports = load_reports(argv[5:])
            with open(claims_path, encoding="utf-8") as f:
                claims = json.load(f)["claims"]
            for c in claims:
                if "by_reading" not in c and c.get("test") not in TESTS:
                    raise ValueError("claim %s: unknown test %r" % (c["id"], c.get("test")))
            write_page(page, reports, claims)
            with open(verdict_path, "w", encoding="utf-8") as f:
                json.dump(verdicts(reports, claims), f, indent=1, sort_keys=True)
                f.write("\n")
            return 0
        if len(argv) >= 4 and argv[1] == "--check":
            with open(argv[2], encoding="utf-8") as f:
                old = json.load(f)
            with open(os.path.join(os.path.dirname(os.path.abspath(argv[2])), "claims.json"), encoding="utf-8") as f:
                claims = json.load(f)["claims"]
            new = verdicts(load_reports(argv[3:]), claims)
            differences = diff(old, new)
            for d in differences:
                print("recipes: " + d, file=sys.stderr)
            if differences:
                print("recipes: %d verdicts differ from doc/recipes.md: regenerate it with make recipes"
                      % len(differences), file=sys.stderr)
                return 1
            print("recipes: this run gives doc/recipes.md's verdicts (%d rows, %d claims)"
                  % (len(new["rows"]), len(new["claims"])), file=sys.stderr)
            return 0
    except (OSError, ValueError, KeyError) as e:
        print("recipes: %s" % e, file=sys.stderr)
        return 2
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
