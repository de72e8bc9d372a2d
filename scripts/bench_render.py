"""Benchmark the render pipeline; every figure is a ratio measured in this same run.

1. a full offline (espeak-ng) render of the library, against
2. the no-op re-render of the unchanged library;
3. gTTS requests per 1,000 words with our sentence packing, against gTTS's own default
   splitting, both counted at a local stand-in for Google (tests/render_support.py);
4. our assembly (pydub: levelling, fades, exact silences, MP3 export), against a direct
   ffmpeg concat of the same cached clips and silences.

Usage: python scripts/bench_render.py [--source audio] [--jobs 4]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Runnable from a checkout; the Google stand-in lives with the tests that also use it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from gtts import gTTS
from render_support import stand_in

from skill.render.assemble import MixSettings, assemble, export_mp3
from skill.render.build import CACHE_DIR, Builder, segment_key
from skill.render.content import Library, Narration, load_library
from skill.render.engines import EspeakEngine, GttsEngine

ROOT = Path(__file__).resolve().parent.parent


def timed(label: str, work: object) -> float:
    """Run `work()` and return its wall time in seconds."""
    started = time.perf_counter()
    work()  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    print(f"  {label:<44} {elapsed:8.2f} s")
    return elapsed


def bench_render(library: Library, out: Path, jobs: int) -> None:
    """Full render from an empty cache, then the no-op re-render."""
    print("Render (espeak-ng, offline)")
    reports = []

    def full() -> None:
        reports.append(Builder(library=library, engine=EspeakEngine(), out=out, jobs=jobs).run())

    def noop() -> None:
        reports.append(Builder(library=library, engine=EspeakEngine(), out=out, jobs=jobs).run())

    first = timed(f"full render, {len(library.items)} items, --jobs {jobs}", full)
    again = timed("no-op re-render (unchanged library)", noop)
    audio = reports[0].total_seconds
    print(f"  {len(reports[0].rendered)} rendered then {len(reports[1].reused)} reused; "
          f"{audio / 60:.1f} min of audio, {audio / first:.0f}x real time")
    print(f"  => the no-op re-render takes {again / first:.3f} of the full render "
          f"({first / again:.0f}x faster)")


def bench_requests(library: Library) -> None:
    """gTTS requests for the library's narration: packed chunks against gTTS's default split."""
    print("gTTS requests (counted at a local stand-in)")
    texts = [s.text for item in library.items for s in item.segments if isinstance(s, Narration)]
    words = sum(len(text.split()) for text in texts)
    with stand_in() as server:
        os.environ["https_proxy"] = os.environ["HTTPS_PROXY"] = server.proxy_url
        packed = GttsEngine(min_interval=0.0, retries=0)
        with tempfile.TemporaryDirectory() as folder:
            for index, text in enumerate(texts):
                packed.synthesize(text, Path(folder) / f"{index}.mp3")
        ours = len(server.texts)
        server.texts.clear()
        for text in texts:
            gTTS(text, lang_check=False, timeout=10).write_to_fp(io.BytesIO())
        theirs = len(server.texts)
    print(f"  {len(texts)} segments, {words} words")
    for label, count in (("sentence-packed (ours)", ours), ("gTTS default splitting", theirs)):
        print(f"  {label}: {count:5d} requests = {count * 1000 / words:6.1f} per 1,000 words")
    print(f"  => {ours / theirs:.2f} of the default's requests ({theirs / ours:.2f}x fewer)")


def bench_assembly(library: Library, out: Path) -> None:
    """Assemble every item from the warm segment cache, with pydub and with plain ffmpeg."""
    print("Assembly (from cached segments, sequential)")
    engine, settings = EspeakEngine(), MixSettings()
    fingerprint = dict(engine.fingerprint())
    cache = out / CACHE_DIR / "segments"
    plans = []
    for item in library.items:
        parts: list[Path | float] = [
            cache / f"{segment_key(fingerprint, s.text)}{engine.suffix}"
            if isinstance(s, Narration) else float(s.seconds)
            for s in item.segments
        ]
        plans.append((item.id, parts))

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder)

        def ours() -> None:
            for item_id, parts in plans:
                export_mp3(assemble(parts, settings), target / f"{item_id}.mp3", settings)

        def ffmpeg() -> None:
            for item_id, parts in plans:
                ffmpeg_concat(parts, target / f"{item_id}-ffmpeg.mp3")

        pydub_time = timed("pydub: level, fade, silences, export", ours)
        ffmpeg_time = timed("ffmpeg: concat filter of the same parts", ffmpeg)
    print(f"  => pydub assembly takes {pydub_time / ffmpeg_time:.2f}x the direct ffmpeg concat")


def ffmpeg_concat(parts: list[Path | float], dest: Path) -> None:
    """One ffmpeg call: clips and generated silences joined, encoded as the pipeline does."""
    inputs: list[str] = []
    for part in parts:
        if isinstance(part, float):
            inputs += ["-f", "lavfi", "-t", str(part), "-i", "anullsrc=r=24000:cl=mono"]
        else:
            inputs += ["-i", str(part)]
    streams = "".join(
        f"[{i}:a]aresample=24000,aformat=channel_layouts=mono[a{i}];" for i in range(len(parts))
    )
    joined = "".join(f"[a{i}]" for i in range(len(parts)))
    graph = f"{streams}{joined}concat=n={len(parts)}:v=0:a=1[out]"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[out]",
         "-c:a", "libmp3lame", "-b:a", "48k", "-ar", "24000", "-ac", "1", str(dest)],
        check=True,
    )


def main() -> None:
    """Run the three benchmarks on the library and print ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT / "audio")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1))
    args = parser.parse_args()
    library = load_library(args.source)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "build"
        bench_render(library, out, args.jobs)
        bench_assembly(library, out)
    bench_requests(library)


if __name__ == "__main__":
    main()
