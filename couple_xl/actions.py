"""Agreed actions and their progress: the Execution loop between rounds.

A round's suggested actions become an agreed plan (plan.py writes it, the partners'
meeting fills it in); the next round's workbooks ask every partner how each agreed
action is going, and consolidation reports their views side by side. Pure data and
rules here: no files, no spreadsheets.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .scoring import normalise_text

DONE, ON_TRACK, BEHIND, NOT_STARTED, DROPPED, DONT_KNOW = (
    "Done",
    "On track",
    "Behind",
    "Not started",
    "Dropped",
    "Don't know",
)
STATUSES = (DONE, ON_TRACK, BEHIND, NOT_STARTED, DROPPED, DONT_KNOW)
CLOSING = frozenset({DONE, DROPPED})
OPEN = frozenset({ON_TRACK, BEHIND, NOT_STARTED})
_BY_NORMAL = {normalise_text(s): s for s in STATUSES}
# Don't know typed without its apostrophe, as partners often do (the rating answers
# accept the same spellings).
_BY_NORMAL.update({"dont know": DONT_KNOW, "do not know": DONT_KNOW})
# Every spelling status_of accepts, normalised: the workbook checks typed statuses with them.
STATUS_TEXTS = tuple(_BY_NORMAL)

# An action id becomes part of a defined name (ACTION_STATUS_<id>): letters, digits and
# underscores, starting with a letter, short enough for Excel's 255-character names.
ACTION_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
CODE_LENGTH = 8  # characters of an action id's code: 40 bits


def suggestion_key(principle_id: str, text: str) -> str:
    """What a suggestion is, whoever typed it and however: its principle and its text,
    normalised (case, spacing, curly apostrophes)."""
    return f"{principle_id}\n{normalise_text(text)}"


def spare_key(n: int) -> str:
    """What the n-th spare row of a round's plan is (1, 2, …)."""
    return f"spare\n{n}"


def action_id(round_date: dt.date, round_id: str, key: str, length: int = CODE_LENGTH) -> str:
    """An action's id: ``a<round date>_<code>``, the code being the first ``length``
    characters of the lower-case base32 SHA-256 of ``<round id>\\n<key>`` (see
    suggestion_key and spare_key).

    Derived from the round's own id and what the action is, never from a row number or
    from earlier plans, so a late return adding rows shifts no id, and two rounds (on
    one date or not) share one only by a 1 in 2**40 chance, which plan.plan_rows turns
    into a longer code. Lower case and digits only, as Excel compares defined names
    without case.
    """
    digest = hashlib.sha256(f"{round_id}\n{key}".encode()).digest()
    code = base64.b32encode(digest).decode("ascii").lower()[:length]
    return f"a{round_date:%Y%m%d}_{code}"


def status_of(typed: Any) -> str | None:
    """The status a partner chose, whatever its case, spacing or apostrophe; None when
    the text is none of them (blank included)."""
    if typed is None or not isinstance(typed, str):
        return None
    return _BY_NORMAL.get(normalise_text(typed))


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class AgreedAction:
    """An action the partners agreed, as it is carried into the next round."""

    id: str
    principle_id: str
    text: str
    lead: str = ""
    # YYYY-MM-DD when the plan gave a date; otherwise the words typed ("next board").
    due: str = ""

    @property
    def due_date(self) -> dt.date | None:
        """The due date, when the plan gave one."""
        if not _ISO_DATE.match(self.due):
            return None
        try:
            return dt.date.fromisoformat(self.due)
        except ValueError:
            return None

    @property
    def due_shown(self) -> str:
        """The due date as people read it ("31 July 2027"), or the words typed."""
        from .inputs import in_words

        due = self.due_date
        return in_words(due) if due else self.due

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AgreedAction:
        return cls(**{k: str(data.get(k, "") or "") for k in ("id", "principle_id", "text",
                                                               "lead", "due")})  # fmt: skip


@dataclass(frozen=True)
class ActionView:
    """One respondent's view of one agreed action."""

    partner: str
    status: str | None  # one of STATUSES, or None: blank or unknown text
    typed: str  # what was typed, kept as it was
    comment: str = ""

    @property
    def given(self) -> bool:
        """A view that counts: a status other than Don't know."""
        return self.status is not None and self.status != DONT_KNOW


@dataclass
class ActionProgress:
    """An agreed action with every view of it in one round."""

    action: AgreedAction
    views: list[ActionView] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        """Closed: at least one view, and every view given is Done or Dropped."""
        given = [v.status for v in self.views if v.given]
        return bool(given) and all(s in CLOSING for s in given)

    @property
    def disagree(self) -> bool:
        """Partners see it differently: Done or Dropped against an open status."""
        given = {v.status for v in self.views if v.given}
        return bool(given & CLOSING) and bool(given & OPEN)

    def counts(self) -> dict[str, int]:
        """How many views chose each status (and how many gave none)."""
        counts = {s: 0 for s in STATUSES}
        counts["no answer"] = 0
        for v in self.views:
            counts[v.status if v.status else "no answer"] += 1
        return counts


def progress_line(progress: list[ActionProgress]) -> str:
    """The Overview's line for a round, in words."""
    closed = sum(p.closed for p in progress)
    disagree = sum(p.disagree for p in progress)
    return f"Agreed actions: {closed} of {len(progress)} closed, {disagree} where partners disagree"
