"""The heute spider's old import path (``from newscrawl.spiders.heute import HeuteSpider``), kept for code that
uses it: the spider is generated from the declaration in :mod:`newscrawl.extract.sites.heute`
(:mod:`newscrawl.spiders.sites`)."""

from .sites import HeuteSpider

__all__ = ["HeuteSpider"]
