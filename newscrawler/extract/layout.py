"""Old-style markup made readable for generic extraction: layout tables and <br>-separated bodies.

Table-layout pages (nested tables, <font>, no <p>) put the whole article in one cell, which
trafilatura renders as a table row; bodies separated by <br><br> come out as one paragraph.
Layout tables become divs, and runs of text between <br>s become paragraphs.
"""

from __future__ import annotations

from lxml import etree
from lxml.html import HtmlElement

_TABLE_PARTS = frozenset({"table", "tbody", "thead", "tfoot", "tr", "td", "th"})
_INLINE = frozenset({"a", "b", "strong", "i", "em", "font", "span", "u", "small", "big", "sup", "sub"})


def _is_layout_table(table: HtmlElement) -> bool:
    if table.find(".//table") is not None or table.find(".//p") is not None or table.find(".//div") is not None:
        return True
    return any(len(cell.text_content()) > 300 for cell in table.iter("td", "th"))


def unwrap_layout_tables(tree: HtmlElement) -> int:
    changed = 0
    for table in list(tree.iter("table")):
        if table.tag == "table" and _is_layout_table(table):
            for el in table.iter():
                if el.tag in _TABLE_PARTS:
                    el.tag = "div"
                    for attr in ("width", "cellpadding", "cellspacing", "border", "valign", "align", "colspan"):
                        el.attrib.pop(attr, None)
            changed += 1
    return changed


def uses_br_paragraphs(tree: HtmlElement) -> bool:
    """A page whose text paragraphs are not <p>s (fewer than 3 real ones) but runs between <br>s."""
    real = sum(1 for p in tree.iter("p") if len(p.text_content()) > 80)
    return real < 3 and sum(1 for _ in tree.iter("br")) >= 4


def split_br_paragraphs(tree: HtmlElement) -> int:
    """Turn `text<br><br>text` inside one block into separate <p> elements (only on pages that
    build paragraphs that way: elsewhere a <br> is a line break inside a paragraph)."""
    if not uses_br_paragraphs(tree):
        return 0
    changed = 0
    for block in list(tree.iter("div", "td", "p", "font", "span")):
        brs = [c for c in block if c.tag == "br"]
        if len(brs) < 2 or block.find(".//p") is not None:
            continue
        segments: list[list[object]] = [[]]
        if block.text and block.text.strip():
            segments[-1].append(block.text)
        for child in list(block):
            if child.tag == "br":
                segments.append([])
                if child.tail and child.tail.strip():
                    segments[-1].append(child.tail)
            elif isinstance(child.tag, str) and child.tag not in _INLINE:
                segments.append([child])
                segments.append([])
                if child.tail and child.tail.strip():
                    segments[-1].append(child.tail)
                child.tail = None
            else:
                segments[-1].append(child)
        parts = [s for s in segments if any(not isinstance(x, str) or x.strip() for x in s)]
        if len(parts) < 2:
            continue
        for child in list(block):
            block.remove(child)
        block.text = None
        for part in parts:
            if len(part) == 1 and not isinstance(part[0], str) and part[0].tag not in _INLINE:
                block.append(part[0])
                continue
            para = etree.SubElement(block, "p")
            for piece in part:
                if isinstance(piece, str):
                    if len(para):
                        para[-1].tail = (para[-1].tail or "") + piece
                    else:
                        para.text = (para.text or "") + piece
                else:
                    para.append(piece)  # an inline element keeps its tail
        changed += 1
    return changed
