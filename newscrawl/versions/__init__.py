"""Article versions seen from the crawl's side: what changed between two states of an article (:mod:`.changes`),
how dedup decides it against the store (:mod:`.classify`), and how a change reads in a terminal
(:mod:`.render`). The versions themselves are stored by :mod:`newscrawl.store.versions`."""

from .changes import diff

__all__ = ["diff"]
