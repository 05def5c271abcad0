"""Stamping: a document built once with placeholders, then each recipient's values put
in their places, so that twenty workbooks cost little more than one.

What a recipient gets must be, part by part, what building their document alone would
give, so stamping is exact or it refuses:

- a placeholder is a random text, given to the writer in the place of a value;
- a writer shows a value in a few *forms* (as it is; escaped and shortened in a page
  header; cut to the length a property keeps): the caller lists them, and wherever a
  form of a placeholder is found, the same form of the real value is put;
- a trace of a placeholder left once every form is found means the writer shows a
  value in a form it was not told about: cutting the stencil raises rather than guess;
- a placeholder is made so that its forms look different from each other (a text one
  has an "&" and is longer than any limit). Where two of them look the same, the real
  value's two forms must be the same too; and a form of a value with a space at either
  end may make an XML writer mark its element (xml:space="preserve"), which no
  placeholder shows. Either way stamping that value raises CannotStamp, and the caller
  builds that document alone.

XML writers may spell any character as itself, an entity or a character reference, so
placeholders are found however they were spelt. Values go in as UTF-8, with the XML
specials and line breaks escaped, which is right both in text and in attribute values.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Form = Callable[[str], str]
Slot = tuple[str, tuple[int, ...]]  # a field, and the forms that look alike there

_ENTITIES = {"&": b"amp", "<": b"lt", ">": b"gt", '"': b"quot", "'": b"apos"}
# Right in element text and in attribute values alike (an attribute would turn a raw
# line break into a space).
_ESCAPE = str.maketrans(
    {**{ch: f"&{name.decode()};" for ch, name in _ENTITIES.items()},
     "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)  # fmt: skip
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']*)["']""")


class CannotStamp(ValueError):
    """A value that stamping cannot put in exactly: build its document alone instead."""


@dataclass(frozen=True)
class Placeholder:
    """What a writer is given in a value's place: a random ``token``, which every form
    of it keeps, then ``filler``."""

    token: str
    filler: str = ""

    @classmethod
    def new(cls, filler: str = "") -> Placeholder:
        return cls(os.urandom(16).hex(), filler)

    @property
    def text(self) -> str:
        return self.token + self.filler


def _spellings(text: str) -> bytes:
    """A pattern for ``text`` however an XML writer spelt it."""
    pattern = []
    for ch in text:
        if ch.isascii() and ch.isalnum():
            pattern.append(ch.encode())
            continue
        code = ord(ch)
        ways = [rb"&#0*%d;" % code, rb"&#[xX]0*(?i:%x);" % code]
        if ch in _ENTITIES:
            ways.append(b"&" + _ENTITIES[ch] + b";")
        if ch not in "&<":
            ways.append(re.escape(ch.encode("utf-8")))
        pattern.append(b"(?:" + b"|".join(ways) + b")")
    return b"".join(pattern)


def _escaped(text: str) -> bytes:
    return text.translate(_ESCAPE).encode("utf-8")


@dataclass(frozen=True)
class Stencil:
    """A built document's parts, each kept whole or cut where placeholders were."""

    forms: tuple[Form, ...]
    parts: dict[str, bytes | tuple[bytes | Slot, ...]]

    @classmethod
    def cut(
        cls, parts: Mapping[str, bytes], placeholders: Mapping[str, Placeholder],
        forms: Sequence[Form],
    ) -> Stencil:  # fmt: skip
        """Find every form of every placeholder in ``parts`` (XML in UTF-8).

        RuntimeError when a placeholder also shows in a form not in ``forms``.
        """
        if not placeholders:
            raise ValueError("nothing to stamp: no placeholders given")
        looks: list[tuple[str, Slot]] = []
        for field, placeholder in placeholders.items():
            alike: dict[str, list[int]] = {}
            for index, form in enumerate(forms):
                look = form(placeholder.text)
                if placeholder.token not in look or look != look.strip():
                    raise RuntimeError(f"form {index} of the placeholder of {field} is unfit")
                alike.setdefault(look, []).append(index)
            looks += [(look, (field, tuple(group))) for look, group in alike.items()]
        # Longest first: one form of a placeholder may start another (a cut one does).
        looks.sort(key=lambda look: len(look[0]), reverse=True)
        finder = re.compile(b"|".join(b"(" + _spellings(look) + b")" for look, _ in looks))
        slots = [slot for _, slot in looks]
        trace = re.compile(b"|".join(re.escape(p.token.encode()) for p in placeholders.values()))

        cut_parts: dict[str, bytes | tuple[bytes | Slot, ...]] = {}
        for name, data in parts.items():
            pieces: list[bytes | Slot] = []
            start = 0
            for found in finder.finditer(data):
                pieces += [data[start : found.start()], slots[found.lastindex - 1]]
                start = found.end()
            pieces.append(data[start:])
            for piece in pieces[::2]:
                if trace.search(piece):
                    raise RuntimeError(
                        f"{name} shows a stamped value in a form stamping was not given "
                        "(register it with the others)"
                    )
            if len(pieces) > 1:
                declared = _DECLARED_ENCODING.match(data)
                if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
                    raise RuntimeError(f"{name} is not UTF-8: values cannot be stamped into it")
            cut_parts[name] = data if len(pieces) == 1 else tuple(pieces)
        return cls(tuple(forms), cut_parts)

    def stamp(self, values: Mapping[str, str]) -> dict[str, bytes]:
        """The parts with ``values`` (by field) in place of the placeholders.

        CannotStamp when a value's forms differ where its placeholder's look alike, or
        when a form of it starts or ends with a space.
        """
        shown: dict[Slot, bytes] = {}

        def show(slot: Slot) -> bytes:
            if slot not in shown:
                field, group = slot
                texts = {self.forms[index](values[field]) for index in group}
                if len(texts) > 1:
                    raise CannotStamp(
                        f"{field}: forms {group} differ, where its placeholder's do not"
                    )
                text = texts.pop()
                if text != text.strip():
                    raise CannotStamp(f"{field}: a form of it starts or ends with a space")
                shown[slot] = _escaped(text)
            return shown[slot]

        return {
            name: part
            if isinstance(part, bytes)
            else b"".join(piece if isinstance(piece, bytes) else show(piece) for piece in part)
            for name, part in self.parts.items()
        }
