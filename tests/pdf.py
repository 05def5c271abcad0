"""Reading the trustees' report as others do: its text as a PDF reader extracts it (pypdf),
its structure tree as assistive technology walks it (pikepdf), and the machine-checkable
rules of PDF/UA-1 (pdfua). None of them shares code with couple_xl's writer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdf

A4 = (595.28, 841.89)  # points: 210 × 297 mm
# pdfua 0.1.3's heading rule fails on a heading whose /K is an array (it asks a pikepdf
# Array for an attribute), so it skips every heading Typst writes; headings_have_content
# below checks the same thing.
PDFUA_SKIPS_HEADINGS = "UA-14-001"


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def pdf_text(path: Path) -> str:
    """Every page's text, in order."""
    return "\n".join(page_texts(path))


def page_sizes(path: Path) -> list[tuple[float, float]]:
    return [
        (round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2))
        for p in pypdf.PdfReader(path).pages
    ]


@dataclass(frozen=True)
class Element:
    """A structure element: its role, its /Alt, how deep it is and whether its subtree
    marks any page content (an MCID or a marked-content reference)."""

    role: str
    alt: str
    depth: int
    marks_content: bool
    children: tuple[str, ...]  # the roles of its child elements


def structure(path: Path) -> list[Element]:
    """The structure tree, depth first, in document order."""
    with pikepdf.open(path) as pdf:
        found: list[Element] = []
        _walk(pdf.Root.StructTreeRoot.get("/K"), 0, found)
        return found


def _kids(node) -> list:
    kids = node.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _marks(node) -> bool:
    if isinstance(node, int):
        return True
    if isinstance(node, pikepdf.Dictionary):
        if node.get("/Type") == pikepdf.Name("/MCR"):
            return True
        return any(_marks(k) for k in _kids(node))
    return False


def _walk(node, depth: int, found: list[Element]) -> None:
    if isinstance(node, pikepdf.Array):
        for item in node:
            _walk(item, depth, found)
        return
    if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
        return
    kids = _kids(node)
    roles = tuple(str(k.S) for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k)
    found.append(Element(str(node.S), str(node.get("/Alt", "")), depth, _marks(node), roles))
    for kid in kids:
        _walk(kid, depth + 1, found)


@dataclass(frozen=True)
class Metadata:
    title: str  # the Info dictionary's
    xmp_title: str
    lang: str
    marked: bool
    display_title: bool
    fonts: frozenset[str]  # base names of the fonts embedded (subset tag left off)
    images: int  # image XObjects on every page: text must never be a picture


def metadata(path: Path) -> Metadata:
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        fonts: set[str] = set()
        images = 0
        for page in pdf.pages:
            resources = page.obj.get("/Resources", {})
            for font in resources.get("/Font", {}).values():
                for descendant in font.get("/DescendantFonts", [font]):
                    descriptor = descendant.get("/FontDescriptor")
                    if descriptor is not None and "/FontFile2" in descriptor:
                        fonts.add(str(descendant.BaseFont).lstrip("/").split("+")[-1])
            for xobject in resources.get("/XObject", {}).values():
                images += xobject.get("/Subtype") == pikepdf.Name("/Image")
        with pdf.open_metadata() as xmp:
            xmp_title = str(xmp.get("dc:title", ""))
        return Metadata(
            title=str(pdf.docinfo.get("/Title", "")),
            xmp_title=xmp_title,
            lang=str(root.get("/Lang", "")),
            marked=bool(root.get("/MarkInfo", {}).get("/Marked", False)),
            display_title=bool(root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False)),
            fonts=frozenset(fonts),
            images=images,
        )


def pdfua_report(path: Path):
    """pdfua's report on ``path``: every rule it implements."""
    import pdfua

    return pdfua.validate(str(path))
