"""The mirror server routes heute.at's URL variants onto one file, like the real site."""

from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from newscrawl.mirror import resolve

ROOT = Path(__file__).parent / "site" / "heute"


@pytest.mark.parametrize("path", [
    "/s/hoechste-unwetter-warnstufe-in-oesterreich-ausgerufen-100148088",
    "/s/-100148088",
    "/s/anything-else-100148088/comments",
    "/s/-100148088/",
])
def test_article_variants_resolve_to_one_file(path):
    assert resolve(ROOT, path) == (ROOT / "s" / "100148088.html").resolve()


@pytest.mark.parametrize("path", ["/s/nope-99999999", "/../../etc/passwd", "/s/", "/i/foo"])
def test_unknown_or_escaping_paths_are_404(path):
    assert resolve(ROOT, path) is None


def test_served_over_loopback(heute_mirror):
    with urlopen(f"{heute_mirror}/s/-100148088") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/html")
        assert b"100148088" in resp.read()
    with pytest.raises(HTTPError) as err:
        urlopen(f"{heute_mirror}/s/missing-12345678")
    assert err.value.code == 404
