"""Layer 2: generic DOM rules that hold across news sites.

One walk over the body (:mod:`.scan`) notes every element a rule may need; the rules, one module per
concern, then read those short lists:

- :mod:`.vocabulary` — the class words and tags the rules recognise, and the roles they give an element;
- :mod:`.header` — headline, kicker, lead, dates, comment count, breadcrumbs, a "Quelle:" line;
- :mod:`.body` — the article text;
- :mod:`.people` — authors from bylines;
- :mod:`.images` — figures with caption and credit;
- :mod:`.slides` — inline photo galleries.

Nothing here knows a particular site.
"""

from __future__ import annotations

from ..document import Page
from ..merge import Candidates
from . import body, header, images, people
from .people import split_names
from .scan import Scan
from .slides import SlideMemo, galleries


def extract(page: Page, cands: Candidates, *, article_id_of=None, slides: SlideMemo | None = None) -> Scan:
    """Run every generic DOM rule; returns the scan for later layers. ``slides`` remembers gallery slides
    across pages (see :class:`.slides.SlideMemo`)."""
    scan = Scan(page)
    add = cands.adder("html")
    header.headline(scan, add)
    body.body(scan, add)  # first: the lead, bylines and images are placed relative to the article text
    header.kicker_and_lead(scan, add)
    people.authors(scan, add)
    header.dates(scan, add)
    images.images(scan, add)
    galleries(scan, add, article_id_of=article_id_of, memo=slides)
    header.comment_count(scan, add)
    header.breadcrumbs(scan, add)
    header.source_line(scan, cands.adder("text"))
    if not (cands.all("published_raw") and cands.all("modified_raw")):
        header.text_dates(scan, cands.adder("text"))  # the fallback layer: only when markup left a date open
    return scan


__all__ = ["Scan", "SlideMemo", "extract", "split_names"]
