"""Verifies that a request really comes from Alexa, for this skill, just now.

Every check Amazon asks of a web-service skill, written on `cryptography`:
the certificate URL, the certificate chain (to a trusted root, in date, for
echo-api.amazon.com), the RSA-SHA256 signature of the exact body bytes, the
timestamp and the skill id.
"""

from __future__ import annotations

import base64
import binascii
import logging
import posixpath
import re
import threading
import urllib.error
import urllib.request
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import certifi
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from skill.clock import Clock

log = logging.getLogger(__name__)

CERT_HOST = "s3.amazonaws.com"
CERT_PATH_PREFIX = "/echo.api/"
SIGNING_NAME = "echo-api.amazon.com"
MAX_SKEW = timedelta(seconds=150)
MAX_SKEW_SKILL_EVENT = timedelta(hours=1)
MAX_CHAIN_BYTES = 64 * 1024
MAX_CACHED_CHAINS = 16

_PEM_BLOCK = re.compile(
    rb"-----BEGIN CERTIFICATE-----\r?\n.+?\r?\n-----END CERTIFICATE-----", re.DOTALL
)

CertFetcher = Callable[[str], bytes]


class RequestRefusedError(Exception):
    """The request failed one verification check; `reason` is short and holds no user data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CertFetchError(Exception):
    """The certificate chain could not be downloaded."""


def default_trust_roots() -> list[x509.Certificate]:
    """The root certificates of certifi's bundle, leaving out any this cryptography refuses.

    One by one, because certifi carries roots with a zero serial number (GoDaddy and
    Starfield G2 among them), which cryptography loads with a deprecation warning today and
    will refuse later: such a root must neither warn on every start nor stop the app.
    """
    with open(certifi.where(), "rb") as bundle:
        blocks = _PEM_BLOCK.findall(bundle.read())
    roots: list[x509.Certificate] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for block in blocks:
            try:
                roots.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                continue
    if not roots:
        raise RuntimeError(f"no usable root certificates in {certifi.where()}")
    return roots


@dataclass(frozen=True)
class HttpCertFetcher:
    """Downloads a certificate chain with a short timeout and a size cap.

    `resolve` maps the public URL to the address actually fetched (a local
    stand-in in tests, or a mirror); by default the URL is fetched as given.
    """

    timeout: float = 3.0
    resolve: Callable[[str], str] | None = None

    def __call__(self, url: str) -> bytes:
        """Returns the PEM bytes at url, or raises CertFetchError."""
        target = self.resolve(url) if self.resolve else url
        if urlsplit(target).scheme not in {"http", "https"}:
            raise CertFetchError("unsupported scheme")
        try:
            with urllib.request.urlopen(target, timeout=self.timeout) as response:  # noqa: S310
                data: bytes = response.read(MAX_CHAIN_BYTES + 1)
        except urllib.error.HTTPError as error:
            error.close()
            raise CertFetchError(f"HTTP {error.code}") from error
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            reason = getattr(error, "reason", None)
            cause = reason if isinstance(reason, BaseException) else error
            raise CertFetchError(type(cause).__name__) from error
        if len(data) > MAX_CHAIN_BYTES:
            raise CertFetchError("chain too large")
        return data


def check_cert_url(url: str) -> str:
    """Applies Amazon's rules to SignatureCertChainUrl; returns its one canonical form.

    Only the canonical URL is fetched and cached, so spelling variants of one URL
    (case, :443, dot segments) cost one download, not one each.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RequestRefusedError("bad certificate url") from None
    if parts.scheme.lower() != "https":
        raise RequestRefusedError("certificate url is not https")
    if (parts.hostname or "").lower() != CERT_HOST:
        raise RequestRefusedError("certificate url host is not s3.amazonaws.com")
    if port is not None and port != 443:
        raise RequestRefusedError("certificate url port is not 443")
    if parts.query or parts.fragment or parts.username is not None or parts.password is not None:
        raise RequestRefusedError("certificate url has a query, fragment or user part")
    path = posixpath.normpath(parts.path) if parts.path else ""
    if not path.startswith(CERT_PATH_PREFIX):
        raise RequestRefusedError("certificate url path is not under /echo.api/")
    return f"https://{CERT_HOST}{path}"


def _parse_timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise RequestRefusedError("missing timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RequestRefusedError("bad timestamp") from None
    if parsed.tzinfo is None:
        raise RequestRefusedError("timestamp without time zone")
    return parsed


@dataclass
class _CachedKey:
    key: rsa.RSAPublicKey
    not_before: datetime
    not_after: datetime
    expires_at: datetime


class RequestVerifier:
    """Checks every request before the skill sees it."""

    def __init__(
        self,
        *,
        skill_id: str | None,
        fetch: CertFetcher,
        trust_roots: list[x509.Certificate],
        clock: Clock,
        cache_seconds: float = 3600.0,
    ) -> None:
        self.skill_id = skill_id
        self.fetch = fetch
        self.store = Store(trust_roots)
        self.clock = clock
        self.cache_ttl = timedelta(seconds=cache_seconds)
        self._cache: OrderedDict[str, _CachedKey] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, headers: Mapping[str, str], body: bytes, envelope: Mapping[str, Any]) -> None:
        """Returns when the request passes every check; raises RequestRefusedError otherwise."""
        check_skill_id(self.skill_id, envelope)
        self._check_timestamp(envelope)
        # Header names are case-insensitive, and WSGI servers rewrite their case
        # (Werkzeug hands "SignatureCertChainUrl" over as "Signaturecertchainurl").
        named = {name.lower(): value for name, value in headers.items()}
        url = named.get("signaturecertchainurl")
        signature_b64 = named.get("signature-256")
        if not url:
            raise RequestRefusedError("missing SignatureCertChainUrl header")
        if not signature_b64:
            raise RequestRefusedError("missing Signature-256 header")
        canonical = check_cert_url(url)
        try:
            signature = base64.b64decode(signature_b64.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise RequestRefusedError("signature is not base64") from None
        key = self._signing_key(canonical)
        try:
            key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise RequestRefusedError("signature does not match the body") from None

    def _check_timestamp(self, envelope: Mapping[str, Any]) -> None:
        request = envelope.get("request") or {}
        stamp = _parse_timestamp(request.get("timestamp"))
        allowed = (
            MAX_SKEW_SKILL_EVENT
            if str(request.get("type", "")).startswith("AlexaSkillEvent.")
            else MAX_SKEW
        )
        if abs(self.clock() - stamp) > allowed:
            raise RequestRefusedError("timestamp is too far from now")

    def _signing_key(self, url: str) -> rsa.RSAPublicKey:
        now = self.clock()
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None:
                self._cache.move_to_end(url)
        if cached is None or now >= cached.expires_at:
            cached = self._load_chain(url, now)
            with self._lock:
                self._cache[url] = cached
                while len(self._cache) > MAX_CACHED_CHAINS:  # Amazon uses one or two
                    self._cache.popitem(last=False)
        if not cached.not_before <= now <= cached.not_after:
            raise RequestRefusedError("signing certificate is not valid now")
        return cached.key

    def _load_chain(self, url: str, now: datetime) -> _CachedKey:
        try:
            pem = self.fetch(url)
        except CertFetchError as error:
            # The caller logs the reason: one line per refused request.
            raise RequestRefusedError(
                f"certificate chain could not be downloaded ({error})"
            ) from None
        try:
            chain = x509.load_pem_x509_certificates(pem)
        except ValueError:
            raise RequestRefusedError("certificate chain is not PEM") from None
        leaf, intermediates = chain[0], chain[1:]
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            raise RequestRefusedError("signing certificate is not valid now")
        verifier = (
            PolicyBuilder()
            .store(self.store)
            .time(now)
            .build_server_verifier(x509.DNSName(SIGNING_NAME))
        )
        try:
            verifier.verify(leaf, intermediates)
        except VerificationError as error:
            log.debug("certificate chain refused: %s", str(error)[:200])
            raise RequestRefusedError("certificate chain is not trusted for echo-api") from None
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise RequestRefusedError("signing key is not RSA")
        return _CachedKey(
            key=key,
            not_before=leaf.not_valid_before_utc,
            not_after=leaf.not_valid_after_utc,
            expires_at=min(now + self.cache_ttl, leaf.not_valid_after_utc),
        )


def check_skill_id(skill_id: str | None, envelope: Mapping[str, Any]) -> None:
    """Refuses a request for another skill, or any request when no skill id is configured."""
    if not skill_id:
        raise RequestRefusedError("GLIMMERS_SKILL_ID is not set")
    application = ((envelope.get("context") or {}).get("System") or {}).get("application") or {}
    if application.get("applicationId") != skill_id:
        raise RequestRefusedError("request is for another skill")
