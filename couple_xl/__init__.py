"""couple_xl: COUPLE partnership health checks in Excel workbooks.

The public API is what ``__all__`` lists; everything else may change. Names load on
first use, so that ``couple-xl --help`` (which imports this package) stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> the module that defines it
_API = {
    # templates
    "Template": "templates",
    "resolve_template": "templates",
    "load_template_file": "templates",
    "builtin_templates": "templates",
    # generating a round
    "RoundRequest": "generate",
    "new_round": "generate",
    "PartnerEntry": "inputs",
    "read_partners_file": "inputs",
    # reading and consolidating returns
    "read_return": "returns",
    "ReturnRecord": "returns",
    # consolidate() itself is not here: importing the submodule of the same name would
    # replace it with the module. run_consolidate and run_check are the entry points.
    "Consolidation": "consolidate",
    "FileLog": "consolidate",
    "Verdict": "consolidate",
    "ConsolidateOptions": "pipeline",
    "ConsolidateOutcome": "pipeline",
    "run_consolidate": "pipeline",
    "run_check": "pipeline",
    # what each audience may see: every output is written from one view
    "Audience": "audience",
    "AudienceView": "audience",
    "audience_view": "audience",
    "write_summary": "summary",
    "write_csv": "exports",
    "write_json": "exports",
    "write_report": "report",
    "LEVELS": "levels",
    # templates in Excel, and the action plan between rounds
    "export_questions": "template_sheets",
    "import_questions": "template_sheets",
    "PlanOptions": "plan",
    "PlanOutcome": "plan",
    "run_plan": "plan",
    "read_plan": "plan",
    "AgreedAction": "actions",
    "ActionProgress": "actions",
    # the scoring engine
    "scoring": None,
    # errors and findings
    "CoupleError": "errors",
    "InputError": "errors",
    "ReadError": "errors",
    "TemplateError": "errors",
    "OutputExistsError": "errors",
    "NotAReturn": "errors",
    "PlanError": "errors",
    "Finding": "errors",
    "Location": "errors",
    "Severity": "errors",
    "LIMITS": "boundary",
    "Limits": "boundary",
    "SheetLimits": "excel",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'couple_xl' has no attribute {name!r}")
    module = _API[name]
    if module is None:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
