"""Stable ids and file names that are safe on Windows, macOS and Linux."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

# Names Windows reserves for devices, with or without an extension.
WINDOWS_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10)),
    "com¹", "com²", "com³", "lpt¹", "lpt²", "lpt³",
}  # fmt: skip
MAX_SLUG = 40
# Letters that Unicode decomposition does not reduce to ASCII.
_TRANSLITERATE = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "ł": "l",
     "Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D"}
)  # fmt: skip
MAX_FILENAME = 120


def normalise_name(name: str) -> str:
    """A name with case and spacing ignored: what makes two spellings the same."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def slugify(text: str, max_length: int = MAX_SLUG) -> str:
    """Lower-case ASCII words joined by hyphens, shortened at a word boundary (a single
    longer word is cut); '' when nothing readable is left. Partnership ids are made by it,
    so how it shortens must never change."""
    text = text.translate(_TRANSLITERATE)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = "-".join(words)
    if len(slug) > max_length:
        slug = (
            slug[:max_length].rsplit("-", 1)[0] if "-" in slug[:max_length] else slug[:max_length]
        )
    return slug.strip("-")


def short_hash(text: str, length: int = 6) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def partnership_id(name: str) -> str:
    """A stable id for a partnership, derived from its name ignoring case and spacing.

    Readable where the name has Latin letters; a hash of the name otherwise.
    """
    normal = normalise_name(name)
    return slugify(normal) or f"p-{short_hash(normal)}"


def id_is_shortened(name: str) -> bool:
    """True when partnership_id(name) keeps only the first words of the name: another
    name that starts with the same words would be given the same id."""
    normal = normalise_name(name)
    full = slugify(normal, max_length=len(normal) + 1)
    return bool(full) and slugify(normal) != full


def safe_component(text: str, fallback: str, max_length: int = MAX_SLUG) -> str:
    """A slug usable as part of a file name on every platform, at most ``max_length``
    characters of it from ``text`` (shortened at a word boundary)."""
    slug = slugify(text, max_length) or f"{fallback}-{short_hash(normalise_name(text))}"
    if slug in WINDOWS_RESERVED:
        slug = f"{slug}-{fallback}"
    return slug


def unique_filenames(stems: list[str], suffix: str) -> list[str]:
    """Make file names unique (case-insensitively, as Windows and macOS compare them)."""
    seen: set[str] = set()
    result = []
    for stem in stems:
        stem = stem[: MAX_FILENAME - len(suffix) - 4].rstrip("-_. ")
        candidate, n = stem, 1
        while f"{candidate}{suffix}".lower() in seen:
            n += 1
            candidate = f"{stem}-{n}"
        seen.add(f"{candidate}{suffix}".lower())
        result.append(f"{candidate}{suffix}")
    return result


def inside(folder: Path, filename: str) -> Path:
    """Join ``filename`` onto ``folder``, refusing anything that would land outside it."""
    target = (folder / filename).resolve()
    if target.parent != folder.resolve() or Path(filename).name != filename:
        raise ValueError(f"{filename!r} is not a plain file name")
    return target
