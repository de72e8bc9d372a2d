"""Render the narrated audio library: the same as `glimmers render` (see --help)."""

import sys
from pathlib import Path

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from skill.render.cli import render

if __name__ == "__main__":
    render(prog_name="render_audio.py")
