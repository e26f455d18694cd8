"""Only for scrapyd-deploy, which runs `python setup.py bdist_egg` and writes its own setup.py (packing tests/
and benchmarks/) when there is none. Everything is declared in pyproject.toml."""

from setuptools import setup

setup()
