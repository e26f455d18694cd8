"""newscrawl: a Scrapy crawler and structured-data pipeline for news sites."""

__version__ = "0.1.0"
