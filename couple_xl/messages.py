"""What couple_xl says about the files it reads and the runs it makes, in one place.

Each message is in the user's words: no exception class or library message ever
appears in one (those go to a finding's ``detail``, which ``--debug`` shows). Tests
build their expectations from these constants and templates, never from fragments
of prose.
"""

from __future__ import annotations

# --- what to do about a file -----------------------------------------------------------

# A partner's workbook that cannot be read as it is.
RESAVE = "ask the partner to open it, save it as an Excel workbook (.xlsx) and send it again"
# A file in another spreadsheet format: whoever has it can convert it.
SAVE_AS_XLSX = "open it and save it as an Excel workbook (.xlsx), then try again"

# --- what a file is, when it is not an Excel workbook ------------------------------------

EMPTY = "the file is empty (0 bytes): ask the partner to send it again"
PASSWORD = (
    "the workbook is password-protected: ask the partner to remove the password "
    "(File > Info > Protect Workbook > Encrypt with Password, then clear it) and send it again"
)
WRONG_FILE = "this is {kind}, not a workbook: ask for the right file"
PDF = "this is a PDF, not a workbook: ask the partner for the Excel file (.xlsx)"
WEB_PAGE = f"this is a web page or XML file saved with a workbook's name, not a workbook: {RESAVE}"
TEXT = f"this is a text file saved with a workbook's name, not a workbook: {RESAVE}"
NOT_A_WORKBOOK = f"the file is not an Excel workbook (.xlsx): {RESAVE}"
ZIP_NOT_A_WORKBOOK = f"the file is a zip archive but not an Excel workbook: {RESAVE}"
NUMBERS = (
    "this is an Apple Numbers file: in Numbers choose File > Export To > Excel, "
    "and send the exported file"
)
# Another spreadsheet format: OTHER_FORMAT.format(kind=KIND_...).
OTHER_FORMAT = "this is {kind}: " + SAVE_AS_XLSX
KIND_XLS = "an old-style Excel file (.xls)"
KIND_XLSB = "a binary Excel workbook (.xlsb)"
KIND_XLTX = "an Excel template (.xltx), not a workbook"
KIND_XLTM = "a macro-enabled Excel template (.xltm), not a workbook"
KIND_XLAM = "an Excel add-in (.xlam), not a workbook"
KIND_ODS = "an OpenDocument spreadsheet (.ods, LibreOffice's own format)"
KIND_FODS = "an OpenDocument spreadsheet saved as flat XML (.fods)"
KIND_GNUMERIC = "a Gnumeric workbook (.gnumeric)"
KIND_EXCEL_XML = "an Excel 2003 XML spreadsheet"
KIND_CSV = "a CSV file"
KIND_OLD_OFFICE = "an Office file of an older kind than Excel's .xlsx"
# Files of other programs: WRONG_FILE.format(kind=...).
KIND_DOC = "a Word document (.doc)"
KIND_DOCX = "a Word document (.docx)"
KIND_PPT = "a PowerPoint file"
KIND_ODF = "an OpenDocument file that is not a spreadsheet"
KIND_GZIP = "a compressed (gzip) file"
KIND_MSG = "an Outlook message saved with a workbook's name"

# --- a workbook that cannot be read ------------------------------------------------------

# cannot read {what}: {why}: {instruction}; ``why`` is one of these, by the layer that failed.
CANNOT_READ = "cannot read {what}: {why}: {instruction}"
WHY_DAMAGED = "it is damaged or cut short"
WHY_XML = "its contents are damaged (not well-formed XML)"
WHY_TEXT = "its text is damaged (not valid Unicode)"
WHY_JSON = "it is not valid JSON (damaged, or edited by hand)"
WHY_TOML = "it is not valid TOML (damaged, or edited by hand)"
WHY_DTD = "it carries an XML document type declaration, which couple_xl refuses"
WHY_SPREADSHEET = (
    "the spreadsheet reader cannot make sense of it (damaged, or saved by a program "
    "that does not write standard Excel workbooks)"
)
WHY_UNKNOWN = "it is damaged, or not a file of the kind expected"
CUT_SHORT = "the file is damaged or cut short (not a complete {kind} file): " + RESAVE
PART_DAMAGED = "the file is damaged (its part {part} cannot be unpacked): " + RESAVE
MACRO_SHEET = (
    "it holds {count} Excel 4 macro sheet(s) ({names}), which couple_xl left unread (it never "
    "runs macros); the answers were read as usual. Do not enable macros if you open it"
)
OUTLOOK_DAMAGED = (
    "cannot read the Outlook message (it is damaged, or not an Outlook message): save it "
    "again from Outlook, or save it as .eml (File > Save As)"
)

# --- whose return it is, and what a run combined -----------------------------------------

WHOSE = "partnership {name} ({id}), round {round}, partner {partner}"
WHOSE_RESPONDENT = ", respondent {respondent}"
SEVERAL_PARTNERSHIPS_CHECKED = (
    "these files belong to {count} partnerships, {which}: check that each is a return you expected"
)
SEVERAL_PARTNERSHIPS_COMBINED = (
    "the summary combines {count} partnerships, {which}: to summarise one, add --partnership ID"
)
NO_MANIFEST = (
    "no manifest was given for {rounds}, so the summary cannot say who has not returned "
    "(Expected is blank, and there is no chase list): pass the round's sent folder (the one "
    "`couple-xl new` wrote) too, or --manifest FILE"
)
NO_RETURNS_IN_FOLDERS = (
    "no returns found in {where}: check the folder, or save the partners' attachments there first"
)
NO_RETURNS_IN_FILES = "none of the files given is a return: give the returned workbooks"
