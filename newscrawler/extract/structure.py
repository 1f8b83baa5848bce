"""Boilerplate and lost text recognised by where it stands in the DOM, not by its wording.

- Inline teasers: a short block between two body paragraphs that is mostly a link (a related
  story's headline, maybe with a one-line summary), whatever its label says.
- Captions: figure captions, and the short line that stands right after a body image.
- Form widgets: polls, search and newsletter boxes (the short block around form controls).
- Link lists: lists whose items are links (other stories' headlines) carry no article text.
- The lede: generic extraction takes one container; a lede kept in a sibling block beside it
  (Joomla K2's itemIntroText next to itemFullText, a standfirst <div> before the body <div>)
  is recovered from the DOM.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from newscrawler.extract.boilerplate import SENTENCE_END
from newscrawler.extract.metadata import Furniture
from newscrawler.normalise.text import match_key

_PROSE_MIN_CHARS = 60
_TEASER_MAX_CHARS = 400
_TEASER_BLOCKS = ("div", "aside", "blockquote", "section", "figure", "ul", "ol", "p", "table")
_CAPTION_XPATH = ('//figcaption | //*[contains(translate(@class, "CAPTION", "caption"), "caption")]'
                  '[not(descendant::p[string-length(normalize-space()) > 200])]')


def _text(el: HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _link_chars(el: HtmlElement) -> int:
    return sum(len(_text(a)) for a in el.iter("a") if (a.get("href") or "#")[:1] != "#")


def _is_paragraph(el: HtmlElement | None) -> bool:
    """A <p>, or a <div> holding only text and inline markup (div-only layouts)."""
    return el is not None and (el.tag == "p" or (el.tag == "div" and el.find(".//div") is None
                                                  and el.find(".//p") is None))


def _is_prose(el: HtmlElement | None) -> bool:
    return _is_paragraph(el) and len(_text(el)) >= _PROSE_MIN_CHARS and _link_chars(el) < 0.5 * len(_text(el))


def _element_sibling(el: HtmlElement, preceding: bool) -> HtmlElement | None:
    """The nearest element sibling with text (empty spacers and <br>s skipped)."""
    for sibling in el.itersiblings(preceding=preceding):
        if isinstance(sibling.tag, str) and sibling.tag != "br" and (_text(sibling) or sibling.tag == "img"):
            return sibling
    return None


def _between_paragraphs(block: HtmlElement) -> bool:
    """The block, or its wrapper up to two levels, stands between two prose paragraphs."""
    node: HtmlElement | None = block
    for _ in range(3):
        if node is None:
            return False
        before, after = _element_sibling(node, True), _element_sibling(node, False)
        if before is not None or after is not None:
            return _is_prose(before) and _is_prose(after)
        node = node.getparent()
    return False


def _next_to_paragraph(block: HtmlElement) -> bool:
    """Cheap pre-check (tags only): a <p> is the nearest element sibling of the block or of one
    of its two wrappers."""
    node: HtmlElement | None = block
    for _ in range(3):
        if node is None:
            return False
        prev, nxt = node.getprevious(), node.getnext()
        if prev is not None or nxt is not None:
            return _is_paragraph(prev) or _is_paragraph(nxt)
        node = node.getparent()
    return False


def drop_structural_teasers(tree: HtmlElement) -> int:
    """Remove short link-dominated blocks that interrupt the body (inline related-story boxes)."""
    doomed: list[HtmlElement] = []
    for block in tree.iter(*_TEASER_BLOCKS):
        if not _next_to_paragraph(block) or next(block.iter("a"), None) is None:
            continue
        if any(block in d.iterancestors() for d in doomed):
            continue
        text = _text(block)
        if not 15 <= len(text) <= _TEASER_MAX_CHARS:
            continue
        ratio = _link_chars(block) / len(text)
        if ratio < (0.6 if _is_paragraph(block) else 0.3) or not _between_paragraphs(block):
            continue
        doomed.append(block)
    for block in doomed:
        if block.getparent() is not None:
            block.drop_tree()
    return len(doomed)


def drop_captions(tree: HtmlElement) -> int:
    """Figure captions, and a short text line placed right after a body image (old layouts:
    `<img><br><font>caption</font>`)."""
    doomed = list(tree.xpath(_CAPTION_XPATH))
    for img in tree.iter("img"):
        sibling = _element_sibling(img, False)
        tail = (img.tail or "").strip()
        if tail:
            continue  # the image sits inside running text
        if sibling is not None and sibling.tag in ("font", "span", "small", "em", "i", "div", "p", "b") \
                and 0 < len(_text(sibling)) <= 160 and not SENTENCE_END.search(_text(sibling)) \
                and next(sibling.iter("img"), None) is None and sibling.find(".//p") is None:
            doomed.append(sibling)
    count = 0
    for el in doomed:
        if el.getparent() is not None and el.tag not in ("body", "html"):
            el.drop_tree()
            count += 1
    return count


_FORM_BLOCKS = frozenset({"td", "div", "li", "p", "fieldset", "form", "table", "section", "aside"})


def drop_form_widgets(tree: HtmlElement) -> int:
    """Polls, search boxes and newsletter sign-ups: the smallest block around visible form
    controls, when it is short (a whole page can sit inside one ASP.NET <form>)."""
    doomed: list[HtmlElement] = []
    for control in tree.iter("input", "select", "textarea", "button"):
        if (control.get("type") or "").lower() == "hidden":
            continue
        block = next((a for a in control.iterancestors() if a.tag in _FORM_BLOCKS), None)
        if block is not None and block not in doomed and len(_text(block)) <= 300 and block.tag not in ("body", "html"):
            doomed.append(block)
    count = 0
    for block in doomed:
        if block.getparent() is not None:
            block.drop_tree()
            count += 1
    return count


def recover_lede(tree: HtmlElement, first_paragraph: str, known: set[str], furniture: Furniture,
                 limit: int = 2) -> list[str]:
    """Prose blocks right before the container of the extracted body's first paragraph, in
    document order (empty when the body's first paragraph cannot be located)."""
    anchor = _locate(tree, first_paragraph)
    if anchor is None:
        return []
    block = next((a for a in anchor.iterancestors() if a.tag in ("p", "div", "section", "td", "li")), None) \
        if anchor.tag not in ("p", "div", "section", "td", "li") else anchor
    found: list[str] = []
    for node in (block, block.getparent() if block is not None else None):
        if node is None or node.tag in ("body", "html"):
            break
        for sibling in node.itersiblings(preceding=True):
            if not isinstance(sibling.tag, str) or not _text(sibling):
                continue
            paragraphs = _lede_paragraphs(sibling, known, furniture)
            if not paragraphs:
                break
            found[:0] = paragraphs
            if len(found) >= limit:
                return found
        if found:
            return found
    return found


def _lede_paragraphs(el: HtmlElement, known: set[str], furniture: Furniture) -> list[str]:
    if el in furniture or el.tag in ("h1", "h2", "h3", "h4", "ul", "ol", "table", "figure", "nav", "aside", "header") \
            or el.find(".//h1") is not None or el.find(".//h2") is not None or el.find(".//h3") is not None:
        return []
    parts = [p for p in el.iter("p")] or [el]
    texts = [_text(p) for p in parts]
    texts = [t for t in texts if t]
    if not texts or any(len(t) < 80 or not SENTENCE_END.search(t) for t in texts):
        return []
    if _link_chars(el) > 0.2 * sum(len(t) for t in texts):
        return []
    if any(match_key(t) in known for t in texts):
        return []
    return texts


_HEADLINE_TAGS = ("h1", "h2", "h3", "b", "strong", "font", "span", "div", "td", "p", "a")


def find_headline(tree: HtmlElement, title: str) -> HtmlElement | None:
    """The element that shows the headline on the page: the first <h1> whose text is the title,
    else the outermost body element whose whole text is the title (table layouts put it in a
    <b>), else the first <h1>."""
    h1s = list(tree.iter("h1"))
    key = match_key(title)
    if key:
        for h1 in h1s:
            if match_key(h1.text_content()) == key:
                return h1
        probe = max(title.split(), key=len)
        tags = " or ".join(f"self::{t}" for t in _HEADLINE_TAGS)
        for el in tree.xpath(f"//body//*[{tags}][string-length(normalize-space(.)) <= $n]"
                             "[contains(normalize-space(.), $probe)]", n=2 * len(title) + 20, probe=probe):
            if match_key(el.text_content()) == key:
                return el
    return h1s[0] if h1s else None


def _locate(tree: HtmlElement, line: str) -> HtmlElement | None:
    """The element whose own text starts the extracted line."""
    words = line.split()[:4]
    if not words:
        return None
    probe = " ".join(words)
    for el in tree.iter("p", "div", "td", "span", "strong", "b", "font", "li", "section"):
        own = " ".join((el.text or "").split())
        if own and own.startswith(probe):
            return el
    return None
