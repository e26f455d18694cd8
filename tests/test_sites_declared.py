"""Declared sites (issue 12): a site is one file in ``newscrawl/extract/sites/`` that registers itself; the id rule,
the spiders and the mirror read its one ARTICLE_URL; a site added as a file shows up in ``scrapy list`` and crawls."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import newscrawl.extract.sites as sites_package
from newscrawl.extract.sites import Site, all_sites, site_for
from newscrawl.extract.sites.heute import Heute
from newscrawl.extract.sites.sources import Feed, NewsSitemap, Sections, Sitemap
from newscrawl.extract.sites.zwanzigminuten import ZwanzigMinuten
from newscrawl.mirror import resolve
from tests.conftest import HEUTE_MIRROR, PROJECT, read_jsonl, run_scrapy
from tests.spiders.test_hostile_discovery import Site as LoopbackSite
from tests.spiders.test_hostile_discovery import stat

IDS = ["100148088", "100124532", "100282318"]


@pytest.fixture
def registry():
    """The site registry as it was before the test: sites a test declares are gone after it."""
    saved = dict(sites_package._registry)
    yield sites_package._registry
    sites_package._registry.clear()
    sites_package._registry.update(saved)


# -- the registry ---------------------------------------------------------------------------------------------
def test_every_site_module_of_the_package_registers_itself():
    # In a fresh interpreter nothing but the package itself is imported: all_sites() finds the modules.
    listed = subprocess.run([sys.executable, "-c", "from newscrawl.extract.sites import all_sites; "
                             "print(' '.join(f'{n}:{c.__module__}' for n, c in all_sites().items()))"],
                            cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr[-2000:]
    fresh = dict(pair.split(":") for pair in listed.stdout.split())
    assert fresh["heute"] == "newscrawl.extract.sites.heute"
    assert fresh["zwanzigminuten"] == "newscrawl.extract.sites.zwanzigminuten"
    found = all_sites()
    assert found["heute"] is Heute and found["zwanzigminuten"] is ZwanzigMinuten
    assert set(fresh) == {name for name, cls in found.items() if cls.__module__.startswith("newscrawl.")}
    for name, cls in found.items():
        assert cls.NAME == name and cls.HOSTS and cls.BASE_URL and cls.DISCOVERY
        assert "id" in cls.article_pattern.groupindex


def test_site_for_chooses_by_host_from_the_registry(registry):
    class Elsewhere(Site):
        NAME = "elsewhere_test"
        HOSTS = ("elsewhere.example",)
        ARTICLE_URL = r"^/n/(?P<id>\d+)$"

    assert type(site_for("https://news.elsewhere.example/n/42")) is Elsewhere
    assert type(site_for("https://www.heute.at/s/x-100148088")) is Heute
    assert type(site_for("https://example.com/a-123456")) is Site


@pytest.mark.parametrize(("cls", "url", "article_id"), [
    (Heute, "https://www.heute.at/s/slug-100148088/comments", "100148088"),
    (Heute, "https://heute.at/s/-100148088/?utm_source=x", "100148088"),
    (Heute, "https://www.heute.at/a/news-100000043", None),
    (ZwanzigMinuten, "https://www.20min.ch/story/slug-103241818", "103241818"),
    (ZwanzigMinuten, "https://www.20min.ch/fr/story/103441563/", "103441563"),
    (ZwanzigMinuten, "https://www.20min.ch/video/slug-103241818", None),
    (Site, "https://example.com/news/some-story-123456", "123456"),  # generic: a long trailing number
])
def test_article_ids_come_from_the_one_declared_pattern(cls, url, article_id):
    assert cls().article_id(url) == article_id


def test_an_article_url_may_need_its_query(registry):
    class Query(Site):
        NAME = "query_test"
        HOSTS = ("query.example",)
        ARTICLE_URL = r"^/article\.php\?(?:.*&)?id=(?P<id>\d+)(?:&|$)"

    site = Query()
    assert site.article_id("https://query.example/article.php?cat=2&id=4711") == "4711"
    assert site.article_id("https://query.example/article.php?cat=2") is None
    assert site.article_id("https://query.example/other.php?id=4711") is None


def test_bad_declarations_fail_when_the_module_is_imported(registry):
    with pytest.raises(TypeError, match="named group"):
        class NoId(Site):
            NAME = "noid_test"
            HOSTS = ("noid.example",)
            ARTICLE_URL = r"^/n/(\d+)$"
    with pytest.raises(TypeError, match="no regular expression"):
        class Broken(Site):
            NAME = "broken_test"
            HOSTS = ("broken.example",)
            ARTICLE_URL = r"^/n/(?P<id>\d+"
    with pytest.raises(TypeError, match="NAME must be"):
        class Spaced(Site):
            NAME = "two words"
            HOSTS = ("spaced.example",)
    with pytest.raises(TypeError, match="names no HOSTS"):
        class Hostless(Site):
            NAME = "hostless_test"
    with pytest.raises(TypeError, match="BASE_URL"):
        class Ftp(Site):
            NAME = "ftp_test"
            HOSTS = ("ftp.example",)
            BASE_URL = "ftp://ftp.example"
    with pytest.raises(TypeError, match="two sites named 'heute'"):
        class Twin(Site):
            NAME = "heute"
            HOSTS = ("twin.example",)
    with pytest.raises(ValueError, match="needs a group"):
        Sitemap("/sitemap.xml", children=r"/sitemap_\d+\.xml")
    with pytest.raises(ValueError, match="not a regular expression"):
        Sections(follow="(")
    with pytest.raises(ValueError, match="a path like"):
        Feed("")
    assert "noid_test" not in all_sites() and all_sites()["heute"] is Heute


def test_sources_are_plain_declarations():
    assert Sections("/").paths == ("/",)  # a lone path is not split into characters
    assert {Sitemap("/s.xml").KIND, NewsSitemap("/n.xml").KIND, Feed("/rss").KIND, Sections().KIND} == {
        "sitemap", "news_sitemap", "feed", "sections"}
    assert Heute.DISCOVERY[0] == Sitemap("/sitemap.xml", children=r"/sitemap/sitemap_(\d{1,18})\.xml")


# -- the mirror reads the declarations ------------------------------------------------------------------------
def test_the_mirror_routes_any_declared_sites_article_paths(tmp_path, registry):
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "4711.html").write_text("<html><body>4711</body></html>", encoding="utf-8")
    assert resolve(tmp_path, "/stories/4711/some-slug") is None  # no site declares this pattern yet

    class Stories(Site):
        NAME = "stories_test"
        HOSTS = ("stories.example",)
        ARTICLE_URL = r"^/stories/(?P<id>\d+)(?:/[^/]*)?/?$"

    assert resolve(tmp_path, "/stories/4711/some-slug") == (tmp_path / "stories" / "4711.html").resolve()
    assert resolve(tmp_path, "/stories/4711") == (tmp_path / "stories" / "4711.html").resolve()
    assert resolve(tmp_path, "/stories/4712/x") is None
    assert resolve(HEUTE_MIRROR, "/s/x-100148088/comments") == (HEUTE_MIRROR / "s" / "100148088.html").resolve()


# -- spiders: one per declared site ---------------------------------------------------------------------------
def test_scrapy_list_shows_one_spider_per_declared_site():
    result = run_scrapy("list")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == sorted(["article", *all_sites()])


EXAMPLE_SITE = '''"""example.org: a site added as one file (the test of issue 12)."""

from . import Site
from .sources import Feed, Sections


class Example(Site):
    NAME = "example"
    HOSTS = ("example.org",)
    BASE_URL = "https://www.example.org"
    ARTICLE_URL = r"^/news/[^/]*-(?P<id>\\d{6,12})/?$"
    DISCOVERY = (Feed("/feed.xml"), Sections(("/",)))
'''

RSS = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Example</title>{}</channel></rss>')


@pytest.fixture(scope="module")
def project_with_a_new_site(tmp_path_factory) -> Path:
    """A copy of the project's package with one file added: ``newscrawl/extract/sites/example.py``."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(PROJECT / "newscrawl", root / "newscrawl", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT / "scrapy.cfg", root / "scrapy.cfg")
    (root / "newscrawl" / "extract" / "sites" / "example.py").write_text(EXAMPLE_SITE, encoding="utf-8")
    return root


def test_a_site_added_as_one_file_is_listed_and_crawled(tmp_path, project_with_a_new_site):
    result = run_scrapy("list", cwd=project_with_a_new_site)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "example" in result.stdout.split()
    with LoopbackSite() as site:
        items = "".join(f"<item><title>{i}</title><link>https://www.example.org/news/story-{i}</link>"
                        f"<pubDate>Mon, 0{n + 1} Dec 2025 10:00:00 +0100</pubDate></item>" for n, i in enumerate(IDS))
        site.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, RSS.format(items).encode())
        for i in IDS:
            page = (HEUTE_MIRROR / "s" / f"{i}.html").read_bytes()
            site.routes[f"/news/story-{i}"] = (200, {"Content-Type": "text/html; charset=utf-8"}, page)
        out = tmp_path / "items.jsonl"
        env = {"NEWSCRAWL_STATE": str(tmp_path / "state.sqlite3"), "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "out")}
        args = ("crawl", "example", "-a", f"base_url={site.base}", "-a", "incremental=1")
        first = run_scrapy(*args, "-O", str(out), cwd=project_with_a_new_site, env=env)
        assert first.returncode == 0, first.stderr[-3000:]
        crawled = read_jsonl(out)
        again = run_scrapy(*args, "-O", str(tmp_path / "again.jsonl"), cwd=project_with_a_new_site, env=env)
        assert again.returncode == 0, again.stderr[-3000:]
        pages = [p for p in site.paths if p.startswith("/news/")]
    assert sorted(it["article_id"] for it in crawled) == sorted(IDS)
    assert {it["site"] for it in crawled} == {"example"}
    assert all(it["url"].startswith(f"{site.base}/news/story-") for it in crawled)
    assert "'newscrawl/feed/fetched': 1" in first.stderr
    assert "newscrawl/sections/fetched" not in first.stderr  # the feed gave articles: no fallback
    assert read_jsonl(tmp_path / "again.jsonl") == [] and stat(again.stderr, "newscrawl/incremental/skipped") == 3
    assert len(pages) == len(IDS)  # the second run fetched no article again


def test_one_host_one_site_and_test_sites_stay_out_of_the_registry(registry):
    with pytest.raises(TypeError, match="both serve heute.at"):
        class Copy(Site):
            NAME = "copy_test"
            HOSTS = ("heute.at",)

    class Explicit(Site, register=False):  # a test's site, passed to extract() explicitly
        NAME = "explicit_test"
        HOSTS = ("heute.at",)

    assert "copy_test" not in all_sites() and "explicit_test" not in all_sites()
    assert type(site_for("https://www.heute.at/s/x-100148088")) is Heute


def test_rolling_children_are_read_newest_first_by_every_number_they_carry():
    from newscrawl.spiders.discovery import order_children

    locs = ["https://x.example/sitemap-2023-12.xml", "https://x.example/sitemap-2024-02.xml", "https://x.example/news.xml",
            "https://x.example/sitemap-2024-11.xml", "https://x.example/sitemap-2024-05.xml",
            "https://x.example/sitemap-" + "9" * 5000 + "-01.xml"]  # a number too long to read is listed last
    ordered = [e["loc"] for e in order_children([{"loc": loc} for loc in locs], r"/sitemap-(\d+)-(\d{2})\.xml")]
    assert ordered == [locs[3], locs[4], locs[1], locs[0], locs[2], locs[5]]
    heute = [e["loc"] for e in order_children([{"loc": f"https://h.example/sitemap/sitemap_{n}.xml"} for n in (2, 10, 1)],
                                              Heute.DISCOVERY[0].children)]
    assert heute == [f"https://h.example/sitemap/sitemap_{n}.xml" for n in (10, 2, 1)]
