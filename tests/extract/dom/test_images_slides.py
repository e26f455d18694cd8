"""dom/images.py and dom/slides.py: figures with caption and credit; gallery slides and the slide memo."""

from newscrawl.extract.dom import images, slides
from newscrawl.extract.dom.images import figure_image
from newscrawl.extract.dom.slides import SlideMemo, parse_gallery
from newscrawl.extract.merge import Candidates

from .helpers import para, run_rule, scan_of


def test_figure_caption_and_credit_from_class_names():
    scan = scan_of('<figure><img src="https://img.example/1.jpg" alt="Alt-Text"><figcaption>'
                   '<span class="caption">Der Bürgermeister bei der Eröffnung.</span>'
                   '<span class="credit">Foto: APA/Hans Punz</span></figcaption></figure>')
    image = figure_image(scan.page, scan.figures[0][0])
    assert image["caption"] == "Der Bürgermeister bei der Eröffnung."
    assert image["credits"] == ["APA/Hans Punz"] and image["url"] == "https://img.example/1.jpg"


def test_a_credit_glued_to_the_caption_is_split_off():
    scan = scan_of('<figure><img src="/1.jpg"><figcaption>Die neue Brücke über die Donau. © Stadt Wien'
                   '</figcaption></figure>')
    image = figure_image(scan.page, scan.figures[0][0])
    assert image["caption"] == "Die neue Brücke über die Donau." and image["credits"] == ["Stadt Wien"]
    assert image["url"] == "https://news.example.org/1.jpg"  # made absolute


def test_a_credit_label_with_the_name_beside_it_and_out_of_the_caption():
    scan = scan_of('<div class="image-container"><img src="/1.jpg"><div class="image-text"><span class="description">'
                   'Der Minister im Parlament.</span><span class="author"><span class="label">Image:</span> '
                   '<span class="name">GCIS</span></span></div></div>')
    image = figure_image(scan.page, scan.figures[0][0])
    assert image["credits"] == ["GCIS"] and image["caption"] == "Der Minister im Parlament."


def test_a_figure_above_the_text_is_the_lead_image_one_in_a_teaser_rail_is_not_an_image_of_the_article():
    markup = (f'<div class="main"><h1>T</h1><figure><img src="/lead.jpg"><figcaption>Lead-Bild</figcaption>'
              f'</figure><div class="text"><p>{para(1)}</p><p>{para(2)}</p></div></div><div class="rail">'
              f'<div class="related"><figure><img src="/teaser.jpg"></figure></div></div>')
    cands = run_rule(images.images, markup, after_body=True)
    found = cands.first("figures")[0]
    assert [f["url"] for f in found] == ["https://news.example.org/lead.jpg"] and found[0]["is_lead"]


GALLERY = ('<div class="gallery"><span>1/3</span><h3>Bilder des Tages</h3><ul>' + "".join(
    f'<li><img src="https://img.example/{i}.jpg"><div class="caption">Bild {i} zeigt etwas.</div>'
    f'<span class="credit">Foto: Agentur {i}</span></li>' for i in range(1, 4)) + "</ul></div>")


def test_gallery_slides_size_and_title():
    scan = scan_of(GALLERY)
    gallery = parse_gallery(scan.page, scan.galleries[0])
    assert gallery["size"] == 3 and gallery["title"] == "Bilder des Tages"
    assert [e["caption"] for e in gallery["entries"]] == ["Bild 1 zeigt etwas.", "Bild 2 zeigt etwas.",
                                                          "Bild 3 zeigt etwas."]
    assert gallery["entries"][0]["credits"] == ["Agentur 1"]


def test_the_slide_memo_gives_the_same_slides_and_stays_bounded():
    scan = scan_of(GALLERY)
    fresh = parse_gallery(scan.page, scan.galleries[0])
    memo = SlideMemo(size=2)
    cands = Candidates()
    slides.galleries(scan, cands.adder("html"), memo=memo)
    again = parse_gallery(scan.page, scan.galleries[0], memo=memo)
    assert cands.first("galleries")[0][0] == fresh == again
    assert len(memo) == 2  # three slides read, the least recently used dropped


def test_a_srcset_url_keeps_the_commas_of_its_path():
    """Image CDNs put commas in paths (orf.at: ``/crops/w=875,q=90/…``): a srcset URL ends at whitespace."""
    scan = scan_of('<figure><img srcset="https://assets.example/crops/w=875,q=90/1.jpg?s=ab 1x, '
                   'https://assets.example/crops/w=1280,q=60,r=1.5/1.jpg?s=cd 1.5x"><figcaption>Bild</figcaption>'
                   '</figure>')
    assert figure_image(scan.page, scan.figures[0][0])["url"] == "https://assets.example/crops/w=875,q=90/1.jpg?s=ab"


def test_first_srcset_url_as_the_html_parser_reads_it():
    assert images.first_srcset_url("/a.jpg 1x,/b.jpg 2x") == "/a.jpg"
    assert images.first_srcset_url("/a.jpg, /b.jpg 2x") == "/a.jpg"  # a URL's trailing comma ends the candidate
    assert images.first_srcset_url(" ,, /a,b.jpg 480w") == "/a,b.jpg"
    assert images.first_srcset_url(" , ,") == ""


def test_a_srcset_of_commas_only_is_no_image_url_and_no_crash():
    scan = scan_of('<figure><img srcset=", "><img data-srcset=", /2.jpg 2x"><figcaption>Bild</figcaption></figure>')
    assert figure_image(scan.page, scan.figures[0][0])["url"] == "https://news.example.org/2.jpg"
    scan = scan_of('<figure><img srcset=","><figcaption>Bild</figcaption></figure>')
    assert figure_image(scan.page, scan.figures[0][0])["url"] is None
