"""Disk faults staged for real: a small tmpfs of the test's own that fills up."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


class Disk:
    """A tmpfs mounted on a folder of the test's own; :meth:`resize` grows or shrinks it in place."""

    def __init__(self, path: Path):
        self.path = path

    def resize(self, size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.path)], check=True, capture_output=True)

    def fill(self) -> int:
        """Fill what is left with a file (``filler``); returns its size."""
        written = 0
        with open(self.path / "filler", "ab", buffering=0) as f:
            chunk = b"\0" * 4096
            while True:
                try:
                    n = f.write(chunk)
                except OSError:
                    return written
                written += n or 0
                if not n:
                    return written


@pytest.fixture
def tmpfs(tmp_path):
    """``tmpfs("128k")`` mounts a tmpfs of that size under tmp_path and returns a :class:`Disk`; all are
    unmounted at the end. Skips when mounting is not permitted (not root, no CAP_SYS_ADMIN)."""
    mounted: list[Path] = []

    def mount(size: str, name: str = "disk") -> Disk:
        target = tmp_path / name
        target.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(target)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.strip()}")
        mounted.append(target)
        return Disk(target)

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], capture_output=True)
