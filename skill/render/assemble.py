"""Assemble narration segments and exact silences into one Alexa-ready MP3 with pydub."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

with warnings.catch_warnings():
    # pydub 0.25 (the latest) imports audioop, deprecated since Python 3.11; harmless until 3.13.
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    from pydub import AudioSegment


@dataclass(frozen=True)
class MixSettings:
    """Everything about assembly that changes the sound; part of every item's hash."""

    # Alexa's <audio> and AudioPlayer both take MPEG-2 Layer III at 48 kbps CBR, 24 kHz.
    sample_rate: int = 24_000
    bitrate: str = "48k"
    channels: int = 1
    # Each spoken segment is brought to the same average level so the library sounds even.
    target_dbfs: float = -20.0
    peak_ceiling_dbfs: float = -1.0
    fade_ms: int = 30  # removes clicks where speech meets silence
    lead_in_ms: int = 400
    tail_ms: int = 800

    def fingerprint(self) -> Mapping[str, object]:
        """Settings as plain data for hashing."""
        return asdict(self)


def load_segment(path: Path, settings: MixSettings) -> AudioSegment:
    """Decode one cached narration segment, resample it and level it."""
    audio = AudioSegment.from_file(str(path))
    audio = audio.set_frame_rate(settings.sample_rate).set_channels(settings.channels)
    if audio.dBFS != float("-inf"):
        # Reach the target loudness, but never push peaks into clipping.
        gain = min(settings.target_dbfs - audio.dBFS, settings.peak_ceiling_dbfs - audio.max_dBFS)
        audio = audio.apply_gain(gain)
    fade = min(settings.fade_ms, len(audio) // 4)
    return audio.fade_in(fade).fade_out(fade)


def silence(seconds: float, settings: MixSettings) -> AudioSegment:
    """Exactly `seconds` of digital silence at the output rate."""
    return AudioSegment.silent(
        duration=round(seconds * 1000), frame_rate=settings.sample_rate
    ).set_channels(settings.channels)


def assemble(parts: Sequence[Path | float], settings: MixSettings) -> AudioSegment:
    """Join cached segment files and pauses (in seconds) in order, with lead-in and tail."""
    audio = silence(settings.lead_in_ms / 1000, settings)
    for part in parts:
        audio += silence(part, settings) if isinstance(part, float) else load_segment(
            part, settings
        )
    return audio + silence(settings.tail_ms / 1000, settings)


def export_mp3(audio: AudioSegment, dest: Path, settings: MixSettings) -> None:
    """Encode to MP3 (CBR) through a temporary file renamed into place, never half-written."""
    temp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        audio.export(
            str(temp), format="mp3", codec="libmp3lame", bitrate=settings.bitrate,
            parameters=["-ar", str(settings.sample_rate), "-ac", str(settings.channels)],
        ).close()
        os.replace(temp, dest)
    finally:
        temp.unlink(missing_ok=True)
