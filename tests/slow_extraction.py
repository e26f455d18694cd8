"""A site module whose extraction runs away, for the extraction time budget (issue 11, D5). A module of
the ``tests`` package, so that spawned worker processes can unpickle the site by name; the spider that uses
it in real crawls is tests/slow_extraction_spider.py."""

from __future__ import annotations

import time

from newscrawl.extract.sites import Site

SPIN_SECONDS = 120.0  # far beyond any budget the tests set; the loop still ends by itself


class SlowSite(Site, register=False):
    """Spins in its override (pure Python, as a runaway text step would) for SPIN_SECONDS."""

    NAME = "slow"
    HOSTS = ("127.0.0.1",)

    def refine(self, page, cands):
        deadline = time.monotonic() + SPIN_SECONDS
        while time.monotonic() < deadline:
            pass
        super().refine(page, cands)
