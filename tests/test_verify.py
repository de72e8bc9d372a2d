"""Request verification through POST /alexa, with the real verifier and a private PKI.

The only stand-in is at the network edge: the app's own HttpCertFetcher downloads chains
from a local server (tests/support/cert_server.py) instead of s3.amazonaws.com. These tests
run on one SQLite database: verification happens before storage is touched.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from skill import create_app
from skill.alexa.verify import (
    HttpCertFetcher,
    RequestRefusedError,
    check_cert_url,
    default_trust_roots,
)
from skill.guide.library import Library
from skill.store.db import Database
from tests.support import certs
from tests.support.alexa import SKILL_ID, USER_ID, AlexaActions, speech, timestamp
from tests.support.cert_server import CertServer, cert_server
from tests.support.certs import Pki, cert_url, sign
from tests.support.clock import FrozenClock

FETCH_TIMEOUT = 0.5
CACHE_SECONDS = 3600
MakeApp = Callable[..., Flask]


@pytest.fixture(scope="session")
def pki() -> Pki:
    """Root, intermediate and leaves generated once, valid around the frozen clock's now."""
    return certs.build_pki(FrozenClock().now)


@pytest.fixture
def cert_host(pki: Pki) -> Iterator[CertServer]:
    """The local stand-in for s3.amazonaws.com/echo.api/."""
    with cert_server(pki.chains) as server:
        yield server


@pytest.fixture
def make_verified_app(make_app: Any, sqlite_db: Database, pki: Pki,
                      cert_host: CertServer) -> MakeApp:
    """Builds an app with verification on, trusting the test root, fetching from cert_host."""

    def make(**overrides: Any) -> Flask:
        config: dict[str, Any] = {
            "GLIMMERS_VERIFY_REQUESTS": "1",
            "GLIMMERS_CERT_CACHE_SECONDS": str(CACHE_SECONDS),
            "trust_roots": [pki.root],
            "cert_fetcher": HttpCertFetcher(timeout=FETCH_TIMEOUT, resolve=cert_host.resolve),
        }
        config.update(overrides)
        app: Flask = make_app(sqlite_db, **config)
        return app

    return make


@pytest.fixture
def alexa(make_verified_app: MakeApp, clock: FrozenClock) -> AlexaActions:
    """Alexa talking to an app that verifies every request (overrides conftest's alexa)."""
    return AlexaActions(client=make_verified_app().test_client(), clock=clock)


def launch(alexa: AlexaActions) -> dict[str, Any]:
    """A fresh LaunchRequest envelope."""
    return alexa.envelope({"type": "LaunchRequest"}, new=True)


def post_signed(alexa: AlexaActions, pki: Pki, body: dict[str, Any] | bytes,
                url: str = cert_url()) -> TestResponse:
    """Serialises body, signs it with the test leaf's key as Alexa would, and POSTs it."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    response: TestResponse = alexa.post(data, sign(data, pki.leaf_key, url))
    return response


def assert_refused(response: TestResponse, caplog: pytest.LogCaptureFixture,
                   reason: str) -> None:
    """400 with a short JSON reason, logged as one line without any user data."""
    assert response.status_code == 400, response.get_data(as_text=True)
    answer = response.get_json()
    assert set(answer) == {"error"}
    assert reason in answer["error"]
    assert len(answer["error"]) < 80
    lines = [r for r in caplog.records if r.name.startswith("skill") and r.levelno >= logging.INFO]
    assert [r.getMessage() for r in lines] == [f"request refused: {answer['error']}"]
    for secret in (USER_ID, "amzn1.echo-api.request.", "amzn1.echo-api.session.",
                   "test-api-token"):
        assert secret not in caplog.text


@pytest.fixture(autouse=True)
def _capture_everything(caplog: pytest.LogCaptureFixture) -> None:
    """Captures the skill's logs at every level, so user data at DEBUG would show too."""
    caplog.set_level(logging.DEBUG, logger="skill")


# --- a good request -------------------------------------------------------------------------


def test_signed_launch_is_answered(alexa: AlexaActions, pki: Pki, cert_host: CertServer) -> None:
    """A request signed by the echo-api leaf, for this skill, just now, gets the welcome."""
    response = post_signed(alexa, pki, launch(alexa))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Welcome to Glimmers" in speech(response.get_json())
    assert cert_host.count(certs.VALID) == 1


def test_header_names_are_case_insensitive(alexa: AlexaActions, pki: Pki) -> None:
    """Headers arrive in whatever case the proxy chose; the verifier still finds them."""
    data = json.dumps(launch(alexa)).encode()
    headers = {name.upper(): value for name, value in sign(data, pki.leaf_key).items()}
    assert alexa.post(data, headers).status_code == 200


# --- SignatureCertChainUrl ------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
    "HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
])
def test_amazons_valid_cert_urls_are_accepted(alexa: AlexaActions, pki: Pki, url: str) -> None:
    """Each of Amazon's own valid SignatureCertChainUrl examples is accepted."""
    response = post_signed(alexa, pki, launch(alexa), url=url)
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize(("url", "reason"), [
    ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "not https"),
    ("https://notamazon.com/echo.api/echo-api-cert.pem", "host"),
    ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", "path"),
    ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", "path"),
    ("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", "port"),
])
def test_amazons_invalid_cert_urls_are_refused(
    alexa: AlexaActions, pki: Pki, cert_host: CertServer, caplog: pytest.LogCaptureFixture,
    url: str, reason: str,
) -> None:
    """Each of Amazon's invalid examples is refused before anything is downloaded."""
    response = post_signed(alexa, pki, launch(alexa), url=url)
    assert_refused(response, caplog, reason)
    assert cert_host.downloads == []


def test_default_trust_roots_load_quietly_and_include_amazons() -> None:
    """certifi's bundle loads without warnings, and Amazon's root is among the roots."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        roots = default_trust_roots()
    names = {root.subject.rfc4514_string() for root in roots}
    assert "CN=Amazon Root CA 1,O=Amazon,C=US" in names
    assert len(roots) > 100


@pytest.mark.parametrize("url", [
    "https://s3.amazonaws.com/echo.api/../../other/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api",
    "https://s3.amazonaws.com.example.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:abc/echo.api/echo-api-cert.pem",
    "https:///echo.api/echo-api-cert.pem",
    "",
])
def test_more_bad_cert_urls_are_refused(url: str) -> None:
    """Escaping /echo.api/ by dots, a look-alike host, a junk port or no host are refused."""
    with pytest.raises(RequestRefusedError):
        check_cert_url(url)


# --- the certificate chain ------------------------------------------------------------------


@pytest.mark.parametrize(("chain", "reason"), [
    (certs.EXPIRED, "not valid now"),
    (certs.NOT_YET_VALID, "not valid now"),
    (certs.WRONG_SAN, "not trusted"),
    (certs.UNTRUSTED, "not trusted"),
])
def test_untrustworthy_signing_certificates_are_refused(
    alexa: AlexaActions, pki: Pki, caplog: pytest.LogCaptureFixture, chain: str, reason: str,
) -> None:
    """A leaf out of its dates, for another name, or under another root is refused."""
    response = post_signed(alexa, pki, launch(alexa), url=cert_url(chain))
    assert_refused(response, caplog, reason)


def test_cached_certificate_is_not_trusted_past_its_expiry(
    alexa: AlexaActions, pki: Pki, clock: FrozenClock, cert_host: CertServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A leaf that expires before the cache does is refused from its notAfter on."""
    url = cert_url(certs.EXPIRING_SOON)
    assert post_signed(alexa, pki, launch(alexa), url=url).status_code == 200
    clock.advance(minutes=31)
    caplog.clear()
    assert_refused(post_signed(alexa, pki, launch(alexa), url=url), caplog, "not valid now")


# --- the signature --------------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after"), [
    (b'"LaunchRequest"', b'"LaunchRequesT"'),  # one byte of content
    (b'": ', b'":\t'),  # one byte of whitespace: same JSON, other bytes
])
def test_tampered_body_is_refused(alexa: AlexaActions, pki: Pki,
                                  caplog: pytest.LogCaptureFixture,
                                  before: bytes, after: bytes) -> None:
    """Changing one byte after signing breaks the signature, even when the JSON means the same."""
    data = json.dumps(launch(alexa)).encode()
    tampered = data.replace(before, after, 1)
    assert len(tampered) == len(data) and tampered != data
    assert_refused(alexa.post(tampered, sign(data, pki.leaf_key)), caplog, "signature")


def test_signature_over_another_body_is_refused(alexa: AlexaActions, pki: Pki,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """A genuine signature of a different request does not carry over."""
    other = json.dumps(launch(alexa)).encode()
    data = json.dumps(launch(alexa)).encode()
    assert_refused(alexa.post(data, sign(other, pki.leaf_key)), caplog, "signature")


@pytest.mark.parametrize("signature", ["not base64!", "QUJD=x", "QUJDRA=="])
def test_malformed_signature_is_refused(alexa: AlexaActions, pki: Pki,
                                        caplog: pytest.LogCaptureFixture, signature: str) -> None:
    """A signature that is not base64, or decodes to too few bytes, is refused."""
    data = json.dumps(launch(alexa)).encode()
    headers = sign(data, pki.leaf_key) | {"Signature-256": signature}
    assert_refused(alexa.post(data, headers), caplog, "signature")


@pytest.mark.parametrize("missing", [
    ("SignatureCertChainUrl",), ("Signature-256",), ("SignatureCertChainUrl", "Signature-256"),
])
def test_missing_headers_are_refused(alexa: AlexaActions, pki: Pki,
                                     caplog: pytest.LogCaptureFixture,
                                     missing: tuple[str, ...]) -> None:
    """A request without the certificate URL or the signature header is refused."""
    data = json.dumps(launch(alexa)).encode()
    headers = {k: v for k, v in sign(data, pki.leaf_key).items() if k not in missing}
    assert_refused(alexa.post(data, headers), caplog, f"missing {missing[0]}")


def test_unsigned_launch_is_refused_by_default(
    sqlite_db: Database, clock: FrozenClock, library: Library, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    """With GLIMMERS_VERIFY_REQUESTS left unset, a real but unsigned LaunchRequest gets 400."""
    monkeypatch.delenv("GLIMMERS_VERIFY_REQUESTS", raising=False)
    app = create_app({
        "GLIMMERS_SKILL_ID": SKILL_ID,
        "GLIMMERS_AUDIO_DIR": str(tmp_path / "audio"),
        "database": sqlite_db,
        "clock": clock,
        "library": library,
        "cert_fetcher": lambda url: pytest.fail("nothing may be downloaded"),
    })
    alexa = AlexaActions(client=app.test_client(), clock=clock)
    caplog.clear()
    assert_refused(alexa.post(launch(alexa)), caplog, "missing SignatureCertChainUrl")


def test_verification_off_warns_loudly_and_accepts_unsigned(
    make_app: Any, sqlite_db: Database, clock: FrozenClock, caplog: pytest.LogCaptureFixture,
) -> None:
    """GLIMMERS_VERIFY_REQUESTS=0 says so at WARNING on start, then takes unsigned requests."""
    with caplog.at_level(logging.WARNING, logger="skill"):
        app = make_app(sqlite_db, GLIMMERS_VERIFY_REQUESTS="0")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("verification is OFF" in message for message in warnings)
    alexa = AlexaActions(client=app.test_client(), clock=clock)
    assert speech(alexa.launch()).startswith(("Before we start", "Welcome"))


# --- the timestamp --------------------------------------------------------------------------


@pytest.mark.parametrize(("skew", "status"), [(-150, 200), (150, 200), (-151, 400), (151, 400)])
def test_timestamp_must_be_within_150_seconds(alexa: AlexaActions, pki: Pki,
                                              skew: int, status: int) -> None:
    """Stale and future timestamps past 150 seconds are refused; 150 itself is accepted."""
    body = launch(alexa)
    body["request"]["timestamp"] = timestamp(alexa.clock() + timedelta(seconds=skew))
    response = post_signed(alexa, pki, body)
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 400:
        assert "timestamp" in response.get_json()["error"]


@pytest.mark.parametrize(("minutes", "status"), [(-50, 200), (50, 200), (-61, 400), (61, 400)])
def test_skill_events_may_be_an_hour_old(alexa: AlexaActions, pki: Pki,
                                         minutes: int, status: int) -> None:
    """AlexaSkillEvent.* requests get an hour's window, in both directions, and no more."""
    body = alexa.envelope({"type": "AlexaSkillEvent.SkillEnabled"}, in_session=False)
    body["request"]["timestamp"] = timestamp(alexa.clock() + timedelta(minutes=minutes))
    response = post_signed(alexa, pki, body)
    assert response.status_code == status, response.get_data(as_text=True)


@pytest.mark.parametrize("stamp", [None, "yesterday", "2026-11-26T15:00:00", 1795100400])
def test_unreadable_timestamp_is_refused(alexa: AlexaActions, pki: Pki,
                                         caplog: pytest.LogCaptureFixture,
                                         stamp: object) -> None:
    """A missing, unparseable, zone-less or numeric timestamp is refused."""
    body = launch(alexa)
    body["request"]["timestamp"] = stamp
    assert_refused(post_signed(alexa, pki, body), caplog, "timestamp")


# --- the skill id ---------------------------------------------------------------------------


def test_request_for_another_skill_is_refused(alexa: AlexaActions, pki: Pki,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """A correctly signed request for a different skill id is refused."""
    alexa.skill_id = "amzn1.ask.skill.11111111-1111-1111-1111-111111111111"
    assert_refused(post_signed(alexa, pki, launch(alexa)), caplog, "another skill")


def test_unset_skill_id_refuses_everything(make_verified_app: MakeApp, pki: Pki,
                                           clock: FrozenClock,
                                           caplog: pytest.LogCaptureFixture) -> None:
    """Without GLIMMERS_SKILL_ID the app warns at start and refuses even a valid request."""
    app = make_verified_app(GLIMMERS_SKILL_ID="")
    assert any("GLIMMERS_SKILL_ID is not set" in r.getMessage() for r in caplog.records)
    alexa = AlexaActions(client=app.test_client(), clock=clock)
    caplog.clear()
    assert_refused(post_signed(alexa, pki, launch(alexa)), caplog, "GLIMMERS_SKILL_ID")


# --- downloading the chain ------------------------------------------------------------------


@pytest.mark.parametrize(("failure", "reason"), [
    ("error", "HTTP 500"),
    ("down", "ConnectionRefusedError"),
    ("junk", "not PEM"),
    ("huge", "too large"),
    ("missing", "HTTP 404"),
])
def test_failed_download_is_refused(alexa: AlexaActions, pki: Pki, cert_host: CertServer,
                                    caplog: pytest.LogCaptureFixture,
                                    failure: str, reason: str) -> None:
    """A 500, a refused connection, a non-PEM or oversized body, or a 404 is a 400 answer."""
    url = cert_url()
    if failure == "error":
        cert_host.mode = "error"
    elif failure == "down":
        cert_host.stop()
    elif failure == "junk":
        cert_host.chains[certs.VALID] = b"<html>not a certificate</html>"
    elif failure == "huge":
        cert_host.chains[certs.VALID] = pki.chains[certs.VALID] * 40
    else:
        url = cert_url("no-such-chain")
    assert_refused(post_signed(alexa, pki, launch(alexa), url=url), caplog, reason)


def test_hung_cert_server_does_not_hang_the_request(
    alexa: AlexaActions, pki: Pki, cert_host: CertServer, caplog: pytest.LogCaptureFixture,
) -> None:
    """A server that never answers costs about the fetch timeout, then a 400."""
    cert_host.mode = "hang"
    started = time.monotonic()
    response = post_signed(alexa, pki, launch(alexa))
    elapsed = time.monotonic() - started
    assert_refused(response, caplog, "TimeoutError")
    assert cert_host.count(certs.VALID) == 1
    assert elapsed < 5, f"took {elapsed:.1f}s with a {FETCH_TIMEOUT}s fetch timeout"


def test_failed_download_is_not_cached(alexa: AlexaActions, pki: Pki,
                                       cert_host: CertServer) -> None:
    """After a failed download the next request tries again, and passes once S3 is back."""
    cert_host.mode = "error"
    assert post_signed(alexa, pki, launch(alexa)).status_code == 400
    cert_host.mode = "serve"
    assert post_signed(alexa, pki, launch(alexa)).status_code == 200
    assert cert_host.count(certs.VALID) == 2


def test_chain_is_cached_per_url_until_the_ttl(alexa: AlexaActions, pki: Pki,
                                               cert_host: CertServer,
                                               clock: FrozenClock) -> None:
    """Requests within the TTL share one download; after it, on the app's clock, one more."""
    for _ in range(2):
        assert post_signed(alexa, pki, launch(alexa)).status_code == 200
    assert cert_host.count(certs.VALID) == 1
    clock.advance(seconds=CACHE_SECONDS - 1)
    assert post_signed(alexa, pki, launch(alexa)).status_code == 200
    assert cert_host.count(certs.VALID) == 1
    clock.advance(seconds=2)
    assert post_signed(alexa, pki, launch(alexa)).status_code == 200
    assert cert_host.count(certs.VALID) == 2
    same = "HTTPS://S3.amazonaws.com:443/echo.api/../echo.api/echo-api-cert.pem"
    assert post_signed(alexa, pki, launch(alexa), url=same).status_code == 200
    assert cert_host.count(certs.VALID) == 2  # a spelling variant shares the canonical entry


@pytest.mark.parametrize("url", [
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem?x=1",
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem#frag",
    "https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem",
])
def test_cert_url_with_query_fragment_or_user_is_refused(alexa: AlexaActions, pki: Pki,
                                                          cert_host: CertServer,
                                                          url: str) -> None:
    """Query strings, fragments and user parts are refused before anything is downloaded."""
    response = post_signed(alexa, pki, launch(alexa), url=url)
    assert response.status_code == 400
    assert cert_host.count(certs.VALID) == 0
