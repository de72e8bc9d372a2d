"""Measure an audio file with ffprobe and its own frame headers, never trusting its name."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

# MPEG audio frame header fields (ISO 11172-3 / 13818-3).
_VERSIONS = {0b00: "2.5", 0b10: "2", 0b11: "1"}
_LAYERS = {0b01: 3, 0b10: 2, 0b11: 1}


class ProbeError(Exception):
    """ffprobe or ffmpeg could not read the file."""


@dataclass(frozen=True)
class AudioFacts:
    """What ffprobe and the first MPEG frame header say about a file."""

    format_name: str
    codec: str
    sample_rate: int
    channels: int
    bit_rate: int
    duration: float
    packet_sizes: frozenset[int]
    mpeg_version: str | None
    mpeg_layer: int | None

    @property
    def constant_bitrate(self) -> bool:
        """True when every frame has the same size (one padding byte of slack)."""
        return bool(self.packet_sizes) and max(self.packet_sizes) - min(self.packet_sizes) <= 1


def probe(path: Path) -> AudioFacts:
    """Measure `path` with ffprobe (streams, format, every packet) and its frame header."""
    command = [
        "ffprobe", "-v", "error", "-of", "json",
        "-show_entries", "stream=codec_name,sample_rate,channels,bit_rate:"
        "format=format_name,duration,bit_rate:packet=size",
        "-select_streams", "a:0", str(path),
    ]
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv
            command, capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProbeError(f"ffprobe failed: {exc}") from exc
    if result.returncode != 0:
        raise ProbeError(result.stderr.decode("utf-8", "replace").strip() or "ffprobe failed")
    data = json.loads(result.stdout)
    streams = data.get("streams") or []
    if not streams:
        raise ProbeError("no audio stream")
    stream, fmt = streams[0], data.get("format", {})
    version, layer = mpeg_header(path)
    return AudioFacts(
        format_name=str(fmt.get("format_name", "")),
        codec=str(stream.get("codec_name", "")),
        sample_rate=int(stream.get("sample_rate", 0)),
        channels=int(stream.get("channels", 0)),
        bit_rate=int(stream.get("bit_rate") or fmt.get("bit_rate") or 0),
        duration=float(fmt.get("duration", 0.0)),
        packet_sizes=frozenset(int(p["size"]) for p in data.get("packets", [])),
        mpeg_version=version,
        mpeg_layer=layer,
    )


def decode_errors(path: Path) -> str:
    """Decode the whole file with ffmpeg and return its complaints ("" when clean)."""
    command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"]
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv
            command, capture_output=True, timeout=300, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"ffmpeg failed: {exc}"
    errors = result.stderr.decode("utf-8", "replace").strip()
    return errors or ("" if result.returncode == 0 else "ffmpeg could not decode the file")


def mpeg_header(path: Path) -> tuple[str | None, int | None]:
    """MPEG version and layer of the first audio frame, skipping an ID3v2 tag."""
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    start = 0
    if head[:3] == b"ID3" and len(head) >= 10:
        # ID3v2 size is four 7-bit bytes ("syncsafe"), after a 10-byte header.
        size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        start = 10 + size
        if start + 4 > len(head):
            with path.open("rb") as handle:
                handle.seek(start)
                head, start = handle.read(64 * 1024), 0
    for index in range(start, len(head) - 3):
        if head[index] == 0xFF and head[index + 1] & 0xE0 == 0xE0:
            version = _VERSIONS.get((head[index + 1] >> 3) & 0b11)
            layer = _LAYERS.get((head[index + 1] >> 1) & 0b11)
            if version and layer:
                return version, layer
    return None, None
