"""Text-to-speech engines: gTTS (online, retried and throttled) and espeak-ng (offline)."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, Protocol

import requests
from gtts import gTTS, gTTSError
from gtts.tokenizer import pre_processors

GTTS_MAX_CHARS: Final = 100  # what one Google Translate TTS request accepts
# Fixed per locale: language and the Google host whose voice carries that accent.
GTTS_TLD: Final[Mapping[str, str]] = {
    "en-US": "com", "en-GB": "co.uk", "en-AU": "com.au",
    "en-IN": "co.in", "en-CA": "ca", "en-IE": "ie",
}
# espeak-ng ships American and British English; the other locales sound closest to these.
ESPEAK_VOICE: Final[Mapping[str, str]] = {
    "en-US": "en-us", "en-GB": "en-gb", "en-AU": "en-gb",
    "en-IN": "en-gb", "en-CA": "en-us", "en-IE": "en-gb",
}
LOCALES: Final = tuple(GTTS_TLD)
_SENTENCE_END = re.compile(r"(?<=[.!?…;:])\s+")
_CLAUSE_END = re.compile(r"(?<=[,—–])\s+")


class EngineError(Exception):
    """Speech synthesis failed for a piece of text."""


class EngineUnavailableError(EngineError):
    """The engine cannot be used at all (no network, no binary)."""


class Engine(Protocol):
    """What the build needs from a text-to-speech engine."""

    @property
    def name(self) -> str:
        """Short engine name for messages and the manifest."""
        ...

    @property
    def suffix(self) -> str:
        """File suffix of what `synthesize` writes (".mp3", ".wav")."""
        ...

    def fingerprint(self) -> Mapping[str, object]:
        """Every setting that changes the sound, for cache keys."""
        ...

    def synthesize(self, text: str, dest: Path) -> None:
        """Speak `text` into the audio file `dest`, or raise EngineError."""
        ...


def check_locale(locale: str) -> str:
    """Return the locale if an engine can speak it, else raise ValueError."""
    if locale not in GTTS_TLD:
        raise ValueError(f"unsupported locale {locale!r} (supported: {', '.join(LOCALES)})")
    return locale


def pack_chunks(text: str, limit: int = GTTS_MAX_CHARS) -> list[str]:
    """Pack text into as few pieces of at most `limit` characters as sentence ends allow."""
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        if len(sentence) <= limit:
            pieces.append(sentence)
            continue
        # A long sentence breaks at commas and dashes first, and at spaces only when it must.
        for clause in _CLAUSE_END.split(sentence):
            pieces.extend(_wrap_words(clause, limit))
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 1 + len(piece) <= limit:
            chunks[-1] = f"{chunks[-1]} {piece}"
        elif piece:
            chunks.append(piece)
    return chunks


def _wrap_words(text: str, limit: int) -> list[str]:
    lines: list[str] = []
    for whole in text.split():
        word = whole
        while len(word) > limit:  # a single huge "word": cut it, there is no better boundary
            lines.append(word[:limit])
            word = word[limit:]
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def prepare_text(text: str) -> str:
    """Apply gTTS's own default pre-processors (abbreviations, hyphenated line ends)."""
    for func in (
        pre_processors.tone_marks, pre_processors.end_of_line,
        pre_processors.abbreviations, pre_processors.word_sub,
    ):
        text = func(text)
    return text


class Throttle:
    """Spaces calls at least `interval` seconds apart, across threads."""

    def __init__(self, interval: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = interval
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        """Block until the next call is allowed."""
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            self._sleep(delay)


@dataclass
class GttsEngine:
    """Google Translate's voice through gTTS, one request per packed chunk, with retries."""

    locale: str = "en-US"
    slow: bool = False
    timeout: tuple[float, float] = (5.0, 20.0)  # (connect, read): gTTS waits forever otherwise
    retries: int = 4
    backoff: float = 1.0  # first retry delay in seconds, doubled each time
    max_backoff: float = 30.0
    min_interval: float = 0.3  # between requests, so a whole library does not trip rate limits
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        check_locale(self.locale)
        self._throttle = Throttle(self.min_interval, self.sleep)
        self.requests_sent = 0
        self._count_lock = threading.Lock()

    @property
    def name(self) -> str:
        """Short engine name."""
        return "gtts"

    @property
    def suffix(self) -> str:
        """gTTS answers with MP3."""
        return ".mp3"

    @property
    def tld(self) -> str:
        """Google host suffix that gives this locale its accent."""
        return GTTS_TLD[self.locale]

    def fingerprint(self) -> Mapping[str, object]:
        """Settings that change the sound (not timeouts or retries, which do not)."""
        return {"engine": "gtts", "lang": "en", "tld": self.tld, "slow": self.slow,
                "packing": f"sentences<={GTTS_MAX_CHARS}"}

    def synthesize(self, text: str, dest: Path) -> None:
        """Speak `text` chunk by chunk and write the joined MP3 frames to `dest`."""
        chunks = pack_chunks(prepare_text(text))
        if not chunks:
            raise EngineError(f"nothing to speak in {text!r}")
        audio = b"".join(self._fetch(chunk, self.retries) for chunk in chunks)
        dest.write_bytes(audio)

    def probe(self) -> None:
        """Make one short request without retries; raise EngineUnavailableError if it fails."""
        try:
            self._fetch("Hello.", retries=0)
        except EngineError as exc:
            raise EngineUnavailableError(str(exc)) from exc

    def _fetch(self, chunk: str, retries: int) -> bytes:
        problem = "no attempt made"
        hint: float | None = None  # the server's Retry-After, if it sent one
        for attempt in range(retries + 1):
            if attempt:
                self.sleep(self._delay(attempt, hint))
            self._throttle.wait()
            with self._count_lock:
                self.requests_sent += 1
            # gTTS sends exactly this chunk: it is short enough that gTTS's own tokenizer never
            # runs, and pre-processing already happened before packing.
            tts = gTTS(
                chunk, tld=self.tld, lang="en", slow=self.slow, lang_check=False,
                pre_processor_funcs=[], tokenizer_func=_one_chunk, timeout=self.timeout,
            )
            try:
                audio = b"".join(tts.stream())
            except gTTSError as exc:
                status = exc.rsp.status_code if exc.rsp is not None else None
                problem = f"{exc} (Google host translate.google.{self.tld})"
                if status is not None and status != 429 and status < 500 and status != 200:
                    raise EngineError(f"gTTS refused the request: {problem}") from exc
                hint = _retry_after(exc.rsp)
                continue
            except requests.RequestException as exc:
                problem = f"connection failed: {exc}"
                hint = None
                continue
            if not audio:
                # Google sometimes answers 200 with no audio; silence here would be a bug later.
                problem = "empty answer (HTTP 200 without audio)"
                hint = None
                continue
            return audio
        raise EngineError(f"gTTS gave up after {retries + 1} attempt(s): {problem}")

    def _delay(self, attempt: int, hinted: float | None) -> float:
        base = self.backoff * 2 ** (attempt - 1)
        if hinted is not None:
            base = max(base, hinted)
        # A little jitter keeps parallel jobs from retrying in lockstep; not security related.
        jitter = random.uniform(0, base * 0.1)  # noqa: S311
        return float(min(self.max_backoff, base + jitter))


def _one_chunk(text: str) -> list[str]:
    return [text]


def _retry_after(response: requests.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


@dataclass
class EspeakEngine:
    """espeak-ng, offline: robotic but always available, for drafts and tests."""

    locale: str = "en-US"
    speed: int = 145  # words per minute; espeak's 175 is too brisk for guided noticing
    pitch: int = 45
    binary: str = "espeak-ng"

    def __post_init__(self) -> None:
        check_locale(self.locale)

    @property
    def name(self) -> str:
        """Short engine name."""
        return "espeak-ng"

    @property
    def suffix(self) -> str:
        """espeak-ng writes WAV."""
        return ".wav"

    @property
    def voice(self) -> str:
        """espeak-ng voice for this locale."""
        return ESPEAK_VOICE[self.locale]

    def fingerprint(self) -> Mapping[str, object]:
        """Settings that change the sound, including the espeak-ng version."""
        return {"engine": "espeak-ng", "voice": self.voice, "speed": self.speed,
                "pitch": self.pitch, "version": espeak_version(self.binary)}

    def synthesize(self, text: str, dest: Path) -> None:
        """Speak `text` into a WAV file at `dest`."""
        command = [self.binary, "-v", self.voice, "-s", str(self.speed), "-p", str(self.pitch),
                   "-w", str(dest), "--stdin"]
        try:
            result = subprocess.run(  # noqa: S603 - fixed argv, text goes through stdin
                command, input=text.encode("utf-8"), capture_output=True, timeout=120,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineError(f"espeak-ng failed: {exc}") from exc
        if result.returncode != 0 or not dest.exists() or dest.stat().st_size <= 44:
            message = result.stderr.decode("utf-8", "replace").strip() or "no audio written"
            raise EngineError(f"espeak-ng failed: {message}")

    def probe(self) -> None:
        """Raise EngineUnavailableError if espeak-ng is not installed."""
        if shutil.which(self.binary) is None:
            raise EngineUnavailableError(f"{self.binary} is not installed (apt install espeak-ng)")
        espeak_version(self.binary)


@cache
def espeak_version(binary: str) -> str:
    """The first line of `espeak-ng --version`, so an upgrade re-renders."""
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv
            [binary, "--version"], capture_output=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise EngineUnavailableError(f"{binary} is not usable: {exc}") from exc
    return result.stdout.decode("utf-8", "replace").split("Data at")[0].strip()


def choose_engine(
    choice: str, locale: str, report: Callable[[str], None], gtts: GttsEngine | None = None
) -> Engine:
    """Pick the engine for `--engine`: gtts, espeak, or auto (gTTS if reachable, else espeak)."""
    if choice in ("gtts", "auto"):
        online = gtts if gtts is not None else GttsEngine(locale=locale)
        try:
            online.probe()
        except EngineUnavailableError as exc:
            if choice == "gtts":
                raise
            report(f"gTTS cannot reach its service ({exc}); "
                   "falling back to espeak-ng (offline, robotic voice).")
        else:
            return online
    if choice not in ("gtts", "auto", "espeak"):
        raise ValueError(f"unknown engine {choice!r}")
    offline = EspeakEngine(locale=locale)
    offline.probe()
    return offline
