"""Small pages for the DOM rules' tests: a page from body markup, its scan, and the body rule's output."""

from newscrawl.extract.document import Page
from newscrawl.extract.dom import body as body_rule
from newscrawl.extract.dom.scan import Scan
from newscrawl.extract.merge import Candidates

URL = "https://news.example.org/politik/some-story-123456"
# A paragraph long enough to count as article text (over 80 characters, no links).
LONG = ("Die Landesregierung hat am Dienstag ein neues Paket beschlossen, das Gemeinden bei der Sanierung "
        "ihrer Schulen helfen soll.")


def para(n: int, words: str = "Absatz") -> str:
    """A distinct long paragraph (the n-th)."""
    return f"{words} {n}: {LONG}"


def scan_of(body: str, head: str = "") -> Scan:
    return Scan(Page(f"<html><head>{head}</head><body>{body}</body></html>", URL))


def run_rule(rule, markup: str, *, after_body: bool = False) -> Candidates:
    """What ``rule`` proposes on a page of body markup; ``after_body``: the body rule runs first (the lead,
    bylines and images are placed relative to the text)."""
    scan = scan_of(markup)
    cands = Candidates()
    if after_body:
        body_rule.body(scan, cands.adder("html"))
    rule(scan, cands.adder("html"))
    return cands


def text_of(body: str, head: str = "") -> tuple[list[str], list[str], Scan]:
    """(body paragraphs, subheadings, scan) as the body rule finds them."""
    scan = scan_of(body, head)
    cands = Candidates()
    body_rule.body(scan, cands.adder("html"))
    paragraphs = cands.first("body")
    subheadings = cands.first("subheadings")
    return (paragraphs[0] if paragraphs else [], subheadings[0] if subheadings else [], scan)
