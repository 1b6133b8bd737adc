#!/usr/bin/python3
r"""log_line_readers.py: one connection attempt's pg_tls_audit LOG line, read
as real log readers read a server log (harness/t/test_conn_log.sh).

usage: log_line_readers.py KEY VALUE KEYS_REGEX OUTCOME < LOG_SEGMENT

LOG_SEGMENT is what the server logged, with log_line_prefix = '%m [%p] %e ',
during one connection attempt in which the server itself wrote no value the
client chose.  Two readers split it into lines: Python's str.splitlines() on
the text decoded as UTF-8 (it ends a line at \n, \r, \v, \f, \x1c, \x1d,
\x1e, U+0085 NEL, U+2028 and U+2029, a superset of Java's \R and of
JavaScript's line terminators), and a log shipper's split of the raw bytes
at \r\n, \r and \n.  For each reader:

  - every line starts with the log_line_prefix, so that no value began a
    line of its own;
  - exactly one line is a "pg_tls_audit connection:" line, made of nothing
    but key="value" pairs after the marker;
  - that line is valid UTF-8 with no control character (C0, DEL, C1), no
    U+2028 or U+2029 and no bidirectional control in it, raw;
  - its keys, comma-separated, match KEYS_REGEX (a forged field would add
    one), its outcome is OUTCOME, and its KEY decodes (\xNN to that byte, \"
    and \\ to the character) back to VALUE's bytes exactly.

Prints one line saying what it found; exits 0 when both readers meet every
expectation, else 1.
"""

import os
import re
import sys
import unicodedata

MARKER = b"pg_tls_audit connection:"
PREFIX = re.compile(rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \S+ \[\d+\] [0-9A-Z]{5} ")
FIELD = re.compile(rb' ([a-z_]+)="((?:[^"\\]|\\.)*)"')
# The bidirectional controls: a viewer reorders the rest of the line after one.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
UNESCAPE = re.compile(rb'\\(?:x([0-9A-F]{2})|(["\\]))')


def splitlines_reader(segment):
    """Lines as Python's str.splitlines() sees the segment decoded as UTF-8."""
    text = segment.decode("utf-8", "surrogateescape")
    return [line.encode("utf-8", "surrogateescape") for line in text.splitlines()]


def shipper_reader(segment):
    """Lines as a log shipper that splits raw bytes at \\r\\n, \\r and \\n sees them."""
    return [line for line in re.split(rb"\r\n|[\r\n]", segment) if line]


def unescape(raw):
    """A logged value turned back into the bytes the client sent."""
    return UNESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]) if m.group(1) else m.group(2), raw)


def parse(line):
    """The (key, value) pairs of a connection line, or None when anything
    but key="value" pairs follows the marker."""
    rest = line[line.index(MARKER) + len(MARKER):]
    fields = []
    while rest:
        m = FIELD.match(rest)
        if m is None:
            return None
        fields.append((m.group(1).decode(), unescape(m.group(2))))
        rest = rest[m.end():]
    return fields


def check(name, lines, key, value, keys_regex, outcome):
    """None when the reader's lines meet every expectation, else why not."""
    stray = [line for line in lines if not PREFIX.match(line)]
    if stray:
        return "%s: a line without the log_line_prefix: %r" % (name, stray[0][:120])
    ours = [line for line in lines if MARKER in line]
    if len(ours) != 1:
        return "%s: %d connection lines, not 1" % (name, len(ours))
    try:
        raw = [c for c in ours[0].decode("utf-8")
               if unicodedata.category(c) == "Cc" or c in "\u2028\u2029" or c in BIDI_CONTROLS]
    except UnicodeDecodeError as e:
        return "%s: not UTF-8: %s" % (name, e)
    if raw:
        return "%s: raw %r in the line" % (name, "".join(raw))
    fields = parse(ours[0])
    if fields is None:
        return "%s: not only key=\"value\" pairs: %r" % (name, ours[0][:200])
    keys = ",".join(k for k, _ in fields)
    values = dict(fields)
    if not re.fullmatch(keys_regex, keys):
        return "%s: keys [%s]" % (name, keys)
    if values["outcome"] != outcome.encode():
        return "%s: outcome %r" % (name, values["outcome"])
    if values.get(key) != value:
        return "%s: %s decodes to %r, not %r" % (name, key, values.get(key), value)
    return None


def main():
    key, value, keys_regex, outcome = sys.argv[1:5]
    value = os.fsencode(value)
    segment = sys.stdin.buffer.read()
    failures = [why for why in (check(name, reader(segment), key, value, keys_regex, outcome)
                                for name, reader in (("splitlines()", splitlines_reader),
                                                     ("shipper", shipper_reader)))
                if why is not None]
    if failures:
        print("; ".join(failures))
        return 1
    print("one line for splitlines() and the shipper, %s=%r, outcome=%s" % (key, value, outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
