"""A crawler with the project's settings, for tests that build pipelines and middlewares in-process."""

from __future__ import annotations

from scrapy.utils.test import get_crawler

import newscrawl.settings as project


def project_crawler(spidercls=None, **overrides):
    """``get_crawler`` with newscrawl/settings.py (its defaults, the store extension, the add-on) under
    ``overrides``; its stats are open, its extensions built (the store client among them), its spider not."""
    settings = {name: getattr(project, name) for name in dir(project) if name.isupper()}
    crawler = get_crawler(spidercls, settings_dict={**settings, **overrides})
    crawler.stats.open_spider()
    return crawler
