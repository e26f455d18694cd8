"""One spider per declared site, so ``scrapy list`` shows every site of :func:`newscrawl.extract.sites.all_sites`.

Each is a :class:`~newscrawl.spiders.site.SiteSpider` named like its site (``heute``, ``zwanzigminuten``, ...) and
importable from here as ``<SiteClass>Spider`` (``HeuteSpider``). A site added as a file in
``newscrawl/extract/sites/`` gets its spider without an edit here.
"""

from __future__ import annotations

from ..extract.sites import Site, all_sites
from .site import SiteSpider


def spider_class(site: type[Site]) -> type[SiteSpider]:
    """The spider class of a declared site."""
    class_name = f"{site.__name__}Spider"
    return type(class_name, (SiteSpider,), {
        "name": site.NAME, "site": site(), "__module__": __name__, "__qualname__": class_name,
        "__doc__": f"Crawls {', '.join(site.HOSTS)} as declared in {site.__module__}.",
    })


SPIDERS = {name: spider_class(site) for name, site in all_sites().items()}
globals().update({cls.__name__: cls for cls in SPIDERS.values()})

__all__ = ["SPIDERS", "spider_class", *(cls.__name__ for cls in SPIDERS.values())]
