"""The rules for agreed actions' progress, on views written out by hand."""

from __future__ import annotations

import pytest

from couple_xl.actions import ActionProgress, ActionView, AgreedAction, progress_line, status_of

ACTION = AgreedAction("a20261001_1", "processes", "Agree a referral form")


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("Done", "Done"),
        ("  done ", "Done"),
        ("ON\u00a0TRACK", "On track"),  # a non-breaking space, as pasted from the web
        ("on   track", "On track"),
        ("Don\u2019t know", "Don't know"),  # a curly apostrophe, as Word and Mac type it
        ("Dont know", "Don't know"),
        ("not started", "Not started"),
        ("Dropped", "Dropped"),
        ("Finished", None),
        ("", None),
        (None, None),
        (3, None),
    ],
)
def test_status_is_read_as_partners_type_it(typed, status):
    assert status_of(typed) == status


def _progress(*statuses: str | None) -> ActionProgress:
    views = [ActionView(f"P{i}", s, s or "", "") for i, s in enumerate(statuses)]
    return ActionProgress(ACTION, views)


@pytest.mark.parametrize(
    ("statuses", "closed", "disagree"),
    [
        (("Done", "Dropped"), True, False),
        (("Done", "Don't know", None), True, False),  # Don't know and blank aside
        (("Done", "Not started"), False, True),
        (("Dropped", "Behind"), False, True),
        (("On track", "Behind"), False, False),
        (("Don't know", None), False, False),  # nobody gave a view: not closed
        ((), False, False),
    ],
)
def test_closed_and_disagreement(statuses, closed, disagree):
    p = _progress(*statuses)
    assert (p.closed, p.disagree) == (closed, disagree)


def test_the_overview_line_counts_by_hand():
    rounds = [_progress("Done"), _progress("Done", "Behind"), _progress("Behind")]
    assert progress_line(rounds) == "Agreed actions: 1 of 3 closed, 1 where partners disagree"
