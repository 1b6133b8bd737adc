"""compare_scanners.py: the table of harness/scripts/compare_scanners.sh.

usage: compare_scanners.py OUTDIR TESTSSL-NAME SSLSCAN-NAME NMAP-NAME ENVIRONMENT

OUTDIR holds OUTDIR/configs (lines NAME|WHAT|PROPERTY) and, per
configuration, tls_audit.tsv, testssl.json, sslscan.xml and nmap.txt.  Each
source is reduced to the same properties, then compared with tls_audit():

  old_protocols  versions below TLS 1.2 accepted ("1.0, 1.1" or "none")
  rsa_kx         a TLS 1.2-or-older suite with RSA key exchange is offered
  cbc            a TLS 1.2-or-older suite without AEAD (CBC) is offered
  dh_weak        DHE offered with a group below 2048 bits: its size, or "no"
  chain          the chain sent: "complete", "incomplete", "wrong order"
  self_signed    the server certificate is self-signed
  expired        the server certificate has expired

A value of None means the source cannot say (the reason is kept).
"""
import datetime
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

PROPS = ["old_protocols", "rsa_kx", "cbc", "dh_weak", "chain", "self_signed", "expired"]
LABEL = {
    "all": "every property",
    "old_protocols": "TLS below 1.2 accepted",
    "rsa_kx": "RSA key exchange offered",
    "cbc": "CBC suites offered",
    "dh_weak": "DHE group below 2048 bits",
    "chain": "chain sent",
    "self_signed": "self-signed",
    "expired": "expired",
}
# The tls_audit() checks a scanner could see on the wire; the others need
# the server's own view (pg_hba.conf, roles, sessions, the policy, files).
WIRE_CHECKS = re.compile(
    r"^(server_certificate_|min_protocol|weak_ciphers$|cbc_ciphers$|dh_params_|chain_|groups_|no_cipher_offered$)")
FS_PREFIXES = ("ECDHE-", "DHE-", "EDH-", "ADH-", "AECDH-", "TLS_")
AEAD = re.compile(r"GCM|CCM|CHACHA20|POLY1305")


class Source:
    """One tool's view of one configuration: values, and why a value is None."""

    def __init__(self):
        self.values = {p: None for p in PROPS}
        self.why = {}
        self.evidence = {}

    def unavailable(self, why, props=PROPS):
        for p in props:
            self.values[p] = None
            self.why[p] = why


def yes(flag):
    return "yes" if flag else "no"


def versions(names):
    return ", ".join(sorted(names)) if names else "none"


def dh_value(bits):
    weak = [b for b in bits if b < 2048]
    return str(min(weak)) if weak else "no"


def from_tls_audit(path):
    s = Source()
    rows = []
    with open(path) as f:
        for line in f:
            sev, check, detail = line.rstrip("\n").split("\t", 2)
            rows.append((sev, check, detail))
    by = {}
    for sev, check, detail in rows:
        by.setdefault(check, []).append((sev, detail))

    def ev(prop, *checks):
        found = ["`%s` %s" % (c, sev) for c in checks for sev, _ in by.get(c, [])]
        s.evidence[prop] = ", ".join(found) if found else "no finding"

    old = set()
    for sev, detail in by.get("min_protocol", []):
        m = re.search(r"The server accepts (.*?), which", detail)
        if m:
            old |= {"1.0" if v == "TLSv1" else v.replace("TLSv", "") for v in m.group(1).split(", ")}
    s.values["old_protocols"] = versions(old)
    ev("old_protocols", "min_protocol", "min_protocol_setting")

    rsa = False
    for sev, detail in by.get("weak_ciphers", []):
        m = re.search(r"weak algorithms: (.*)\.$", detail)
        names = re.sub(r" and \d+ more$", "", m.group(1)).split(", ") if m else []
        rsa |= any(not n.startswith(FS_PREFIXES) for n in names)
    s.values["rsa_kx"] = yes(rsa)
    ev("rsa_kx", "weak_ciphers")
    s.values["cbc"] = yes("cbc_ciphers" in by)
    ev("cbc", "cbc_ciphers")

    dh = "no"
    for sev, detail in by.get("dh_params_weak", []):
        m = re.search(r"holds a (\d+)-bit DH group", detail)
        if sev == "high" and m:
            dh = m.group(1)
    s.values["dh_weak"] = dh
    ev("dh_weak", "dh_params_weak")

    chain = [v for c, v in (("chain_incomplete", "incomplete"), ("chain_order", "wrong order")) if c in by]
    s.values["chain"] = ", ".join(chain) if chain else "complete"
    ev("chain", "chain_incomplete", "chain_order")
    s.evidence["self_signed"] = "no check: trusting it is the client's decision"
    s.values["expired"] = yes("server_certificate_expired" in by)
    ev("expired", "server_certificate_expired")
    return s, rows


def from_testssl(path):
    s = Source()
    try:
        with open(path) as f:
            items = json.load(f)
    except (OSError, ValueError) as e:
        s.unavailable("no JSON output (%s)" % e)
        return s, []
    find = {}
    for it in items:
        find.setdefault(it["id"].split(" ")[0], []).append(it)

    def first(i):
        return find.get(i, [{}])[0].get("finding", "")

    if "TLS1_2" not in find:
        s.unavailable("no protocol result: %s" % (first("scanProblem") or "STARTTLS failed"))
        return s, items
    s.values["old_protocols"] = versions(
        {v for i, v in (("TLS1", "1.0"), ("TLS1_1", "1.1")) if first(i).startswith("offered")})
    rsa = cbc = False
    dh = []
    for i, its in find.items():
        if not i.startswith("cipher_x"):
            continue
        for it in its:
            toks = it["finding"].split()
            iana = toks[-1]
            if iana.startswith("TLS_") and "_WITH_" not in iana:
                continue  # TLS 1.3
            rsa |= iana.startswith("TLS_RSA_WITH_")
            cbc |= "_CBC_" in iana
            if len(toks) > 3 and toks[2] == "DH":
                dh.append(int(toks[3]))
    s.values["rsa_kx"] = yes(rsa)
    s.values["cbc"] = yes(cbc)
    s.values["dh_weak"] = dh_value(dh)
    trust = first("cert_chain_of_trust")
    chain = []
    if "chain incomplete" in trust:
        chain.append("incomplete")
    if first("certs_list_ordering_problem") == "yes":
        chain.append("wrong order")
    s.values["chain"] = ", ".join(chain) if chain else "complete"
    s.values["self_signed"] = yes("self signed" in trust)
    s.values["expired"] = yes(first("cert_expirationStatus") == "expired")
    return s, items


def from_sslscan(path):
    s = Source()
    with open(path, errors="replace") as f:
        text = f.read()
    m = re.search(r"<\?xml.*</document>", text, re.S)
    try:
        doc = ET.fromstring(m.group(0)) if m else None
    except ET.ParseError as e:
        doc = None
        text = str(e)
    test = doc.find("ssltest") if doc is not None else None
    if test is None or test.find("protocol") is None:
        s.unavailable("no result: %s" % " ".join(text.split())[:80])
        return s
    old = {p.get("version") for p in test.findall("protocol")
           if p.get("type") == "tls" and p.get("version") in ("1.0", "1.1") and p.get("enabled") == "1"}
    s.values["old_protocols"] = versions(old)
    rsa = cbc = False
    dh = []
    for c in test.findall("cipher"):
        if c.get("status") not in ("accepted", "preferred") or c.get("sslversion") == "TLSv1.3":
            continue
        name = c.get("cipher")
        rsa |= not name.startswith(FS_PREFIXES)
        cbc |= not AEAD.search(name)
        if c.get("dhebits"):
            dh.append(int(c.get("dhebits")))
    s.values["rsa_kx"] = yes(rsa)
    s.values["cbc"] = yes(cbc)
    s.values["dh_weak"] = dh_value(dh)
    s.why["chain"] = "shows only the server certificate"
    short = test.find("certificates/certificate[@type='short']")
    if short is None:
        s.unavailable("no certificate in the output", ["self_signed", "expired"])
    else:
        s.values["self_signed"] = yes(short.findtext("self-signed") == "true")
        s.values["expired"] = yes(short.findtext("expired") == "true")
    return s


def from_nmap(path):
    s = Source()
    with open(path, errors="replace") as f:
        text = f.read()
    if "ssl-enum-ciphers:" not in text:
        s.unavailable("no ssl-enum-ciphers result (STARTTLS not spoken)")
        return s
    section = None
    old = set()
    rsa = cbc = False
    dh = []
    for line in text.splitlines():
        m = re.match(r"\|   TLSv(1\.[0-3]): $", line)
        if m:
            section = m.group(1)
            if section in ("1.0", "1.1"):
                old.add(section)
            continue
        m = re.match(r"\|\s+(TLS_\w+) \((\w+)(?: (\d+))?\) - [A-F]$", line)
        if m and section != "1.3":
            rsa |= m.group(1).startswith("TLS_RSA_WITH_")
            cbc |= "_CBC_" in m.group(1)
            if m.group(2) == "dh" and m.group(3):
                dh.append(int(m.group(3)))
    for m in re.finditer(r"Modulus Length: (\d+)", text):
        dh.append(int(m.group(1)))
    s.values["old_protocols"] = versions(old)
    s.values["rsa_kx"] = yes(rsa)
    s.values["cbc"] = yes(cbc)
    s.values["dh_weak"] = dh_value(dh)
    s.why["chain"] = "ssl-cert shows only the server certificate"
    subject = re.search(r"ssl-cert: Subject: (.*)", text)
    issuer = re.search(r"\| Issuer: (.*)", text)
    after = re.search(r"Not valid after: +(\S+)", text)
    if subject and issuer and after:
        s.values["self_signed"] = yes(subject.group(1) == issuer.group(1))
        not_after = datetime.datetime.fromisoformat(after.group(1))
        s.values["expired"] = yes(not_after < datetime.datetime.utcnow())
    else:
        s.unavailable("no ssl-cert result", ["self_signed", "expired"])
    return s


def compare(audit, tool, props):
    """(cell, other differences) for one tool against tls_audit()."""
    agree, differ, na = [], [], []
    for p in props:
        a, t = audit.values[p], tool.values[p]
        if t is None:
            na.append(p)
        elif a is None:
            continue
        elif a == t:
            agree.append(p)
        else:
            differ.append(p)
    if len(props) == 1:
        p = props[0]
        if p in na:
            return "n/a: " + tool.why.get(p, "cannot tell")
        if audit.values[p] is None:
            return "%s (no tls_audit() check)" % tool.values[p]
        return ("agree" if p in agree else "**differs**: %s" % tool.values[p])
    if differ:
        return "**differs**: " + ", ".join("%s %s" % (LABEL[p], tool.values[p]) for p in differ)
    return "agree" + (" (%s n/a)" % ", ".join(LABEL[p] for p in na) if na else "")


def values_cell(audit, tools, p):
    """One property as the four sources see it, folded when they agree."""
    seen = [audit.values[p]] + [t.values[p] for t in tools]
    known = {v for v in seen if v is not None}
    if len(known) == 1:
        return known.pop() + ("*" if None in seen else "")
    return " / ".join("-" if v is None else v for v in seen)


def main():
    out, tool_names, env = sys.argv[1], sys.argv[2:5], sys.argv[5]
    with open(os.path.join(out, "configs")) as f:
        configs = [line.rstrip("\n").split("|") for line in f if line.strip()]
    print("tls_audit() against %s, %s and %s (%s)\n" % (tool_names[0], tool_names[1], tool_names[2], env))
    print("| configuration | compared | tls_audit() | %s | %s | %s |" % tuple(tool_names))
    print("|---|---|---|---|---|---|")
    notes = []
    only_audit = {}
    matrix = []
    for name, what, prop in configs:
        d = os.path.join(out, name)
        audit, rows = from_tls_audit(os.path.join(d, "tls_audit.tsv"))
        tools = [from_testssl(os.path.join(d, "testssl.json"))[0],
                 from_sslscan(os.path.join(d, "sslscan.xml")),
                 from_nmap(os.path.join(d, "nmap.txt"))]
        props = PROPS if prop == "all" else [prop]
        if prop == "all":
            wire = sorted({"`%s` %s" % (c, sev) for sev, c, _ in rows if WIRE_CHECKS.match(c)})
            audit_cell = ", ".join(wire) if wire else "nothing on the wire"
        else:
            value = audit.values[prop]
            audit_cell = audit.evidence[prop] if value is None else "%s (%s)" % (value, audit.evidence[prop])
        cells = [compare(audit, t, props) for t in tools]
        matrix.append((name, [values_cell(audit, tools, p) for p in PROPS]))
        print("| `%s`: %s | %s | %s | %s |" % (name, what, LABEL[prop], audit_cell, " | ".join(cells)))
        for tname, t in zip(tool_names, tools):
            for p in PROPS:
                if p in props or t.values[p] is None or audit.values[p] is None:
                    continue
                if t.values[p] != audit.values[p]:
                    notes.append("- `%s`, %s: %s says %s, tls_audit() %s" % (
                        name, LABEL[p], tname, t.values[p], audit.values[p]))
        for sev, c, _ in rows:
            if not WIRE_CHECKS.match(c):
                only_audit.setdefault(c, set()).add(sev)
    print("\nEvery property in every configuration: one value when the sources agree (*: those that"
          " can tell; tls_audit() has no self-signed check, %s and %s show no chain), otherwise"
          " tls_audit() / %s / %s / %s, - for cannot tell.\n" % (tool_names[1], tool_names[2], *tool_names))
    print("| configuration | %s |" % " | ".join(LABEL[p] for p in PROPS))
    print("|---|%s" % ("---|" * len(PROPS)))
    for name, row in matrix:
        print("| `%s` | %s |" % (name, " | ".join(row)))
    print("\nOther properties on which a scanner and tls_audit() differ:")
    print("\n".join(notes) if notes else "- none")
    print("\nFindings only tls_audit() made (no scanner can see them on the wire):")
    print(", ".join("`%s` (%s)" % (c, "/".join(sorted(s))) for c, s in sorted(only_audit.items())) or "none")


if __name__ == "__main__":
    main()
