#!/usr/bin/python3
"""make_certificate_seeds.py: the seed corpus of fuzz_certificate.

Writes DER certificates into DIR (default fuzz/corpus/certificate): three
real ones made by the openssl command (an RSA CA, an EC client certificate
with the usual extensions, an Ed25519 one), and hand-built ones that no CA
tool would issue -- every ASN.1 string type with bytes it should not hold,
hundreds of attributes, odd serials, dates at the UTCTime/GeneralizedTime
edges, odd subjectAltNames, unknown and malformed extensions.  Their
signatures are not valid: the code under test never checks them.  A
certificate OpenSSL refuses to parse reaches no extension code and is not
kept.  Run at development time; the output is committed.

usage: fuzz/make_certificate_seeds.py [DIR]
"""

import os
import subprocess
import sys
import tempfile


def tlv(tag, content):
    """One DER element: tag, definite length, content."""
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(octets)]) + octets
    return bytes([tag]) + length + content


def seq(*items):
    return tlv(0x30, b"".join(items))


def oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray()
    for arc in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, bytes(body))


def integer(raw):
    """An INTEGER from its content octets as given (sign and all)."""
    return tlv(0x02, raw)


UTF8, PRINTABLE, T61, IA5, UTCTIME, GENTIME, UNIVERSAL, BMP = 12, 19, 20, 22, 23, 24, 28, 30


def name(*attributes):
    """A Name: one RDN per (oid, tag, bytes)."""
    return seq(*[tlv(0x31, seq(oid(o), tlv(tag, value))) for o, tag, value in attributes])


def cn(value, tag=UTF8):
    return name(("2.5.4.3", tag, value))


def extension(dotted, value, critical=False):
    return seq(oid(dotted), tlv(0x01, b"\xff") if critical else b"", tlv(0x04, value))


def certificate(spki, subject, serial=b"\x01", issuer=None, not_before=(UTCTIME, b"250101000000Z"),
                not_after=(UTCTIME, b"351231235959Z"), extensions=(), version=2):
    sig_alg = seq(oid("1.2.840.10045.4.3.2"))
    tbs = seq(
        tlv(0xA0, integer(bytes([version]))) if version else b"",
        integer(serial),
        sig_alg,
        issuer if issuer is not None else cn(b"fuzz seed CA"),
        seq(tlv(not_before[0], not_before[1]), tlv(not_after[0], not_after[1])),
        subject,
        spki,
        tlv(0xA3, seq(*extensions)) if extensions else b"",
    )
    return seq(tbs, sig_alg, tlv(0x03, b"\x00" + seq(integer(b"\x01"), integer(b"\x01"))))


def san(*names):
    """subjectAltName with GeneralNames given as (implicit tag, bytes)."""
    return extension("2.5.29.17", seq(*[tlv(tag, value) for tag, value in names]))


DNS, EMAIL, URI, IPADD = 0x82, 0x81, 0x86, 0x87


def crafted(spki):
    """The hand-built certificates, by file name."""
    odd_strings = name(
        ("2.5.4.3", BMP, "bmp \u00e9\u65e5".encode("utf-16-be")),
        ("2.5.4.10", UNIVERSAL, "univ \U0001F600".encode("utf-32-be")),
        ("2.5.4.11", T61, b"t61 \xe9\xff\x01"),
        ("2.5.4.7", PRINTABLE, b"printable *@&"),
        ("2.5.4.8", IA5, b"ia5 \xc3\xa9 high"),
        ("1.2.840.113549.1.9.1", IA5, b"mail@example.com"),
        ("2.5.4.5", PRINTABLE, b"12345"),
    )
    yield "string-types", certificate(spki, odd_strings)
    yield "utf8-controls-nul", certificate(spki, name(
        ("2.5.4.3", UTF8, b"nul\x00byte \x1b[31m red \x7f del"),
        ("2.5.4.10", UTF8, "line\u2028sep para\u2029 nel\u0085 rtl\u202eevil".encode()),
        ("2.5.4.11", UTF8, b"back\\slash, comma + plus \"quote\" ;semi <lt> =eq #hash"),
    ))
    yield "utf8-invalid", certificate(spki, cn(b"bad \xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80 \xc0\x80"))
    yield "many-ous", certificate(spki, name(*[("2.5.4.11", UTF8, b"ou%d" % i) for i in range(300)]))
    yield "huge-cn", certificate(spki, cn(b"x" * 5000))
    yield "private-attributes", certificate(spki, name(
        ("1.3.6.1.4.1.55555.1", UTF8, b"private"),
        ("0.9.2342.19200300.100.1.25", IA5, b"example"),
        ("1.3.6.1.4.1.311.60.2.1.3", PRINTABLE, b"DE"),
        ("1.2.643.100.1", 0x12, b"1027700132195"),
        ("2.5.4.97", UTF8, b"VATDE-123"),
    ))
    yield "empty-names", certificate(spki, seq(), issuer=seq())
    yield "serial-negative", certificate(spki, cn(b"neg"), serial=b"\xfb")
    yield "serial-zero", certificate(spki, cn(b"zero"), serial=b"\x00")
    yield "serial-20-octets", certificate(spki, cn(b"s20"), serial=b"\x7f" + b"\xa5" * 19)
    yield "serial-40-octets", certificate(spki, cn(b"s40"), serial=b"\x00\xff" + b"\x5a" * 38)
    yield "dates-utctime-edges", certificate(spki, cn(b"d1"), not_before=(UTCTIME, b"500101000000Z"),
                                             not_after=(UTCTIME, b"491231235959Z"))
    yield "dates-generalized", certificate(spki, cn(b"d2"), not_before=(GENTIME, b"20500101000000Z"),
                                           not_after=(GENTIME, b"99991231235959Z"))
    yield "dates-year-1", certificate(spki, cn(b"d3"), not_before=(GENTIME, b"00010101000000Z"),
                                      not_after=(GENTIME, b"19700101000000Z"))
    yield "dates-malformed", certificate(spki, cn(b"d4"), not_before=(UTCTIME, b"991399999999Z"),
                                         not_after=(GENTIME, b"2024"))
    yield "sans-odd", certificate(spki, cn(b"sans"), extensions=[san(
        (DNS, b"nul\x00.example.com"), (DNS, "\u00fcml.example".encode()), (DNS, b"*.example.com"),
        (IPADD, b"\x7f\x00\x00\x01"), (IPADD, b"\x00" * 15 + b"\x01"), (IPADD, b"\x0a\x00\x00\x01\x05"),
        (IPADD, b""), (EMAIL, b"a@\xff.example"), (URI, b"https://example.com/"),
        (0xA0, oid("1.3.6.1.4.1.55555.2") + tlv(0xA0, tlv(UTF8, b"other"))),
        (0xA4, cn(b"dirname")),
    )])
    yield "sans-many", certificate(spki, cn(b"many"), extensions=[
        san(*[(DNS, b"h%d.ex" % i) for i in range(400)] + [(IPADD, bytes([10, 0, i // 256, i % 256])) for i in range(100)])])
    yield "extensions-odd", certificate(spki, cn(b"ext"), extensions=[
        extension("1.3.6.1.4.1.55555.3", b"\x04\x03abc", critical=True),
        extension("2.5.29.19", b"\x30\x03\x01\x01\xff", critical=True),
        extension("2.5.29.19", b"\x30\x03\x01\x01\x00"),
        extension("2.5.29.15", b"\x03\x02\x05"),
        extension("2.5.29.17", b"\x30\x05\x82\x03"),
        extension("2.5.29.37", seq(oid("1.3.6.1.5.5.7.3.2"), oid("1.3.6.1.4.1.55555.4"))),
        extension("1.3.6.1.5.5.7.1.1", b"junk"),
        extension("2.5.29.31", b""),
    ])
    yield "version-1", certificate(spki, cn(b"v1"), version=0)


def run(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def made_by_openssl(tmp):
    """The real certificates, by file name: DER made by the openssl command."""
    def path(name):
        return os.path.join(tmp, name)

    with open(path("leaf.ext"), "w") as f:
        f.write("basicConstraints = critical, CA:FALSE\n"
                "keyUsage = critical, digitalSignature, keyEncipherment\n"
                "extendedKeyUsage = clientAuth, serverAuth\n"
                "subjectAltName = DNS:db.example.com, DNS:*.example.org, IP:192.0.2.7, IP:2001:db8::7, "
                "email:alice@example.com, URI:spiffe://example/alice\n"
                "authorityInfoAccess = OCSP;URI:http://ocsp.example.com/, caIssuers;URI:http://ca.example.com/ca.crt\n"
                "crlDistributionPoints = URI:http://ca.example.com/ca.crl\n"
                "certificatePolicies = 2.23.140.1.2.1\n"
                "subjectKeyIdentifier = hash\n"
                "authorityKeyIdentifier = keyid\n")
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"),
        "-out", path("ca.crt"), "-days", "3650", "-subj", "/C=DE/O=Fuzz Seeds/CN=Fuzz Seed Root CA")
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", path("leaf.key"), "-out", path("leaf.csr"), "-utf8",
        "-subj", "/DC=org/DC=example/O=Exämple, Inc./OU=ops/OU=db/CN=alice/emailAddress=alice@example.com")
    run("openssl", "x509", "-req", "-in", path("leaf.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
        "-set_serial", "0x0123456789abcdef0123456789abcdef01234567", "-days", "30",
        "-extfile", path("leaf.ext"), "-out", path("leaf.crt"))
    run("openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", path("ed.key"),
        "-out", path("ed.crt"), "-days", "1", "-subj", "/CN=ed25519 client")
    for name in ("ca", "leaf", "ed"):
        run("openssl", "x509", "-in", path(name + ".crt"), "-outform", "DER", "-out", path(name + ".der"))
    spki = subprocess.run(["openssl", "pkey", "-in", path("leaf.key"), "-pubout", "-outform", "DER"],
                          check=True, capture_output=True).stdout
    real = {}
    for name, label in (("ca", "openssl-rsa-ca"), ("leaf", "openssl-ec-client"), ("ed", "openssl-ed25519")):
        with open(path(name + ".der"), "rb") as f:
            real[label] = f.read()
    return real, spki


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                             "corpus", "certificate")
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        real, spki = made_by_openssl(tmp)
        seeds = list(real.items()) + list(crafted(spki))
        for label, der in seeds:
            target = os.path.join(out, label + ".der")
            with open(target, "wb") as f:
                f.write(der)
            parsed = subprocess.run(["openssl", "x509", "-inform", "DER", "-in", target, "-noout"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
            if not parsed:
                os.unlink(target)
            print("%-24s %6d bytes  %s" % (label, len(der), "kept" if parsed else "refused by OpenSSL: not kept"))


if __name__ == "__main__":
    main()
