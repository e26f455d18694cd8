"""Where a relative path setting points: the project root, never the working directory.

``NEWSCRAWL_STATE``, ``NEWSCRAWL_SPOOL``, ``NEWSCRAWL_LOCK_DIR`` and ``NEWSCRAWL_OUTPUT_DIR`` may be relative
("state/newscrawl.sqlite3", the default). They are read against the project root, the folder of the
``scrapy.cfg`` Scrapy itself found (it searches upwards from the working directory, so ``scrapy crawl heute``
started in ``tests/`` is the same project as started at the root, and now also the same store, spool, lock
and output folder). Without a ``scrapy.cfg`` (an installed package run by scrapyd, say) the working
directory is the root, as before. Absolute settings are taken as they are; ``~`` is expanded.

Files named on the command line (``-o out.jsonl``) stay relative to the working directory, as in any tool.
"""

from __future__ import annotations

from pathlib import Path

from scrapy.utils.conf import closest_scrapy_cfg


def project_root() -> Path:
    """The folder of the closest ``scrapy.cfg`` above the working directory, else the working directory."""
    cfg = closest_scrapy_cfg()
    return Path(cfg).parent if cfg else Path.cwd()


def project_path(value: str | Path) -> Path:
    """``value`` as an absolute path: relative ones against :func:`project_root`."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else project_root() / path


def setting_path(settings, name: str) -> Path:
    """The path setting ``name`` of ``settings``, absolute (see the module docstring)."""
    return project_path(settings[name])
