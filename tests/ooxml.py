"""Check a workbook as Excel would take it, offline: the Open XML SDK's rules, through
the openxml-audit package (a port of the SDK validator).

Its known false alarms are filtered, each with the reason it is not a problem.
"""

from __future__ import annotations

import re
from pathlib import Path

# (pattern in the finding's description, why Excel does not mind)
FALSE_ALARMS = [
    (
        re.compile(
            r"Unexpected element '(b|i|strike|condense|extend|outline|shadow|u|vertAlign|sz|"
            r"color|rFont|name|family|charset|scheme)' found"
        ),
        "font and rich-text run properties in ISO 29500 order: the SDK enforces the order of "
        "[MS-OI29500] 2.1.674/2.1.706, which Excel itself does not (openpyxl's own styles use it)",
    ),
    (
        re.compile(r"inline-string cell"),
        "openpyxl writes text as inline strings; Excel reads them and moves them to shared "
        "strings when it saves",
    ),
    (
        re.compile(r"relationships/theme.*missing|missing.*relationships/theme"),
        "a theme part is optional (LibreOffice writes none)",
    ),
    (re.compile(r"xml:space"), "xml:space on text elements is what Excel itself writes"),
]


def audit(path: Path) -> list[str]:
    """The SDK's findings for a workbook, less the known false alarms."""
    from openxml_audit import FileFormat, OpenXmlValidator

    validator = OpenXmlValidator(file_format=FileFormat.MICROSOFT_365, max_errors=0)
    result = validator.validate(str(path))
    problems = []
    for finding in [*result.errors, *(getattr(result, "warnings", None) or [])]:
        description = " ".join(finding.description.split())
        if any(pattern.search(description) for pattern, _ in FALSE_ALARMS):
            continue
        problems.append(f"{Path(path).name}: {finding.part_uri} {finding.path}: {description}")
    return problems
