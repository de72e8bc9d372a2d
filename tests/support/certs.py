"""A private PKI shaped like Amazon's: a root, an intermediate and an echo-api signing leaf.

Built once per test session with `cryptography`, with the extensions the web-PKI policy of
`cryptography.x509.verification` asks for, plus the broken variants a verifier must refuse.
`sign()` produces the two headers Alexa sends with a body.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SIGNING_NAME = "echo-api.amazon.com"
CERT_URL_BASE = "https://s3.amazonaws.com/echo.api/"

# The names of the chains `build_pki` serves, as in https://s3.amazonaws.com/echo.api/<name>.pem.
VALID = "echo-api-cert"
EXPIRED = "expired"
NOT_YET_VALID = "not-yet-valid"
EXPIRING_SOON = "expiring-soon"
WRONG_SAN = "wrong-san"
UNTRUSTED = "untrusted-root"


def cert_url(name: str = VALID) -> str:
    """The public SignatureCertChainUrl of a chain served under `name`."""
    return f"{CERT_URL_BASE}{name}.pem"


@dataclass(frozen=True)
class Pki:
    """The trusted root, the leaf's private key, and PEM chains (leaf first) by name."""

    root: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    chains: dict[str, bytes]


@dataclass(frozen=True)
class _Issuer:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Glimmers Test PKI"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _ca(common_name: str, key: rsa.RSAPrivateKey, issuer: _Issuer | None,
        now: datetime) -> _Issuer:
    """A root (issuer None, self-signed) or an intermediate CA valid for years around now."""
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.cert.subject if issuer else _name(common_name))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=365))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0),
            critical=True,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer.key.public_key() if issuer else public
            ),
            critical=False,
        )
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return _Issuer(builder.sign(issuer.key if issuer else key, hashes.SHA256()), key)


def _leaf(key: rsa.RSAPrivateKey, issuer: _Issuer, *, not_before: datetime,
          not_after: datetime, dns_name: str = SIGNING_NAME) -> x509.Certificate:
    """A server certificate for dns_name, issued by issuer."""
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(dns_name))
        .issuer_name(issuer.cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
        .sign(issuer.key, hashes.SHA256())
    )


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def build_pki(now: datetime) -> Pki:
    """Generates the trusted chain and every broken variant, valid or not relative to `now`."""
    root = _ca("Glimmers Test Root CA", _key(), None, now)
    intermediate = _ca("Glimmers Test Intermediate CA", _key(), root, now)
    rogue_root = _ca("Glimmers Test Root CA", _key(), None, now)  # same name, other key
    rogue_intermediate = _ca("Glimmers Test Intermediate CA", _key(), rogue_root, now)
    leaf_key = _key()  # every leaf shares it, so only the property under test differs

    def leaf(issuer: _Issuer = intermediate, *, start: timedelta = timedelta(days=-30),
             end: timedelta = timedelta(days=180), dns_name: str = SIGNING_NAME) -> bytes:
        cert = _leaf(leaf_key, issuer, not_before=now + start, not_after=now + end,
                     dns_name=dns_name)
        return _pem(cert, issuer.cert)

    chains = {
        VALID: leaf(),
        EXPIRED: leaf(start=timedelta(days=-400), end=timedelta(days=-1)),
        NOT_YET_VALID: leaf(start=timedelta(days=1), end=timedelta(days=400)),
        EXPIRING_SOON: leaf(end=timedelta(minutes=30)),
        WRONG_SAN: leaf(dns_name="echo-api.example.com"),
        UNTRUSTED: leaf(rogue_intermediate) + _pem(rogue_root.cert),
    }
    return Pki(root=root.cert, leaf_key=leaf_key, chains=chains)


def sign(body: bytes, key: rsa.RSAPrivateKey, url: str = cert_url()) -> dict[str, str]:
    """The headers Alexa sends: the chain URL and base64 RSA-SHA256 (PKCS#1 v1.5) of body."""
    signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return {
        "SignatureCertChainUrl": url,
        "Signature-256": base64.b64encode(signature).decode("ascii"),
    }
