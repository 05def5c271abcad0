"""Round trips by property: whatever a partner types comes back exactly as typed."""

from __future__ import annotations

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from couple_xl.returns import read_return
from tests.helpers import generate, named_cell

# Text a spreadsheet cell can hold: any character but the control characters that the
# file format cannot store (line feeds and tabs are fine).
typed_text = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(chr(c) for c in range(32) if chr(c) not in "\n\t"),
    ),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip())


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hypothesis")
    return generate(folder, partners=["Typing Partner"]).workbooks[0].path


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(comment=typed_text, answer=typed_text, action=typed_text)
def test_typed_text_round_trips(blank, tmp_path, comment, answer, action):
    wb = openpyxl.load_workbook(blank)
    named_cell(wb, "N_outcomes_gains").value = comment
    named_cell(wb, "Q_outcomes_gains").value = answer
    for cell in (named_cell(wb, "N_outcomes_gains"), named_cell(wb, "Q_outcomes_gains")):
        cell.data_type = "s"  # typed as text, as Excel stores anything typed
    ((sheet, ref),) = list(wb.defined_names["ACTIONS_execution"].destinations)
    first = wb[sheet][ref.replace("$", "")][0][0]
    first.value = action
    first.data_type = "s"
    path = tmp_path / "typed.xlsx"
    wb.save(path)
    record = read_return(path)
    assert record.answers["outcomes_gains"] == answer
    assert record.comments["outcomes_gains"] == comment
    assert record.actions[0].action == action
