"""`glimmers render`: pre-render the narrated audio library, or `--check` what was rendered."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from skill.render.build import Builder, BuildReport
from skill.render.check import check_build
from skill.render.content import Library, LibraryError, load_library
from skill.render.engines import LOCALES, EngineUnavailableError, choose_engine


@click.command("render")
@click.option("--engine", "engine_choice", type=click.Choice(["auto", "gtts", "espeak"]),
              default="auto", show_default=True,
              help="gTTS (online) or espeak-ng (offline); auto uses gTTS when it is reachable.")
@click.option("--source", type=click.Path(file_okay=False, path_type=Path),
              default=Path("audio"), show_default=True, help="Folder of narration sources.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("audio/build"), show_default=True, help="Output folder.")
@click.option("--check", "check_only", is_flag=True,
              help="Render nothing; verify the files and manifest in --out.")
@click.option("--jobs", type=click.IntRange(1, 32), default=min(4, os.cpu_count() or 1),
              show_default=True, help="Items rendered in parallel.")
@click.option("--locale", type=click.Choice(LOCALES), default="en-US", show_default=True,
              help="Voice accent (and the manifest's locale).")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: when stderr is a terminal).")
def render(*, engine_choice: str, source: Path, out: Path, check_only: bool, jobs: int,
           locale: str, progress: bool | None) -> None:
    """Pre-render narration to Alexa-ready MP3s and manifest.json, re-rendering only changes."""
    if check_only:
        check(source, out)
        return
    library = _load(source)

    try:
        engine = choose_engine(engine_choice, locale, report=lambda m: click.echo(m, err=True))
    except EngineUnavailableError as exc:
        raise click.ClickException(f"the {engine_choice} engine is unavailable: {exc}") from exc
    click.echo(f"Rendering {len(library.items)} items from {source} with {engine.name} "
               f"({locale}), {jobs} at a time.", err=True)
    builder = Builder(
        library=library, engine=engine, out=out, locale=locale, jobs=jobs,
        progress=sys.stderr.isatty() if progress is None else progress,
        log=lambda message: click.echo(f"failed: {message}", err=True),
    )
    report = builder.run()
    click.echo(summary(report))
    if not report.ok:
        click.echo("The manifest was left as it was; fix the failures and run again "
                   "(finished items are kept).", err=True)
        sys.exit(1)


def check(source: Path, out: Path) -> None:
    """Verify `out` (and that it matches `source`, when present); exit 1 naming each problem."""
    library = None
    if source.exists():
        library = _load(source)
    else:
        # A host that only serves the build can still check it, just not against sources.
        click.echo(f"{source} not found: checking {out} without comparing it to sources.",
                   err=True)
    problems = check_build(out, library)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {out}.", err=True)
        sys.exit(1)
    click.echo(f"OK: every file in {out} meets the format rules and matches the manifest.")


def _load(source: Path) -> Library:
    try:
        # Validate the whole library first: a bad source must stop the run before any audio.
        return load_library(source)
    except LibraryError as exc:
        raise click.ClickException(str(exc)) from exc


def summary(report: BuildReport) -> str:
    """One line: rendered / reused / failed, total audio length, wall time."""
    minutes, seconds = divmod(round(report.total_seconds), 60)
    return (f"rendered {len(report.rendered)}, reused {len(report.reused)}, "
            f"failed {len(report.failed)}; {minutes} min {seconds:02d} s of audio; "
            f"took {report.elapsed:.1f} s")


if __name__ == "__main__":
    render()
