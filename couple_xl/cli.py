"""The couple-xl command line. Each command calls one library function.

Only this module prints or exits, by one set of rules that every command's --help
repeats (EXIT_RULES, and NEEDS_FORCE or REPLACED for each output):

- a problem in the input (CoupleError) prints "Error:" once, then one line per problem,
  each naming where it is, and exits 1;
- a usage error, including an input file or folder that does not exist, exits 2;
- what a person edits or sends (workbooks, plans, drafts, templates) is never
  overwritten without --force; what couple_xl derives (the summary, its exports, the
  demo) is replaced.

Heavy imports happen inside the commands, so that `couple-xl --help` starts quickly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import click

from . import __version__
from .formulas import ADDIN, NATIVE
from .levels import LEVELS, PARTNER

EXIT_PROBLEMS = 1
EXIT_USAGE = 2  # click's own, for usage errors and input paths that do not exist
ERROR = "Error: "
PROBLEMS = "{count} problems:"  # after ERROR, when there is more than one
NEEDS_FORCE = "never overwritten without --force"
REPLACED = "replaced if already there"
EXIT_RULES = (
    "Exit codes: 0 done; 1 a problem in the input ('Error:' once, then one line per "
    "problem); 2 a usage error, such as a missing option or an input file or folder that "
    "does not exist."
)
# A progress bar is shown on a terminal when there are more files than this.
PROGRESS_FROM = 5
INTERNAL = (
    "couple_xl stopped on an internal error: please report it; run again with --debug to "
    "see the details"
)


returns_argument = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)


def input_file(**settings) -> click.Path:
    """An input file: one that does not exist is a usage error (exit 2), as everywhere."""
    return click.Path(exists=True, dir_okay=False, path_type=Path, **settings)


def output_option(help_text: str):
    return click.option(
        "-o",
        "--output",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help_text,
    )


def out_folder_option(help_text: str, **settings):
    """--out FOLDER, required unless ``settings`` say otherwise (a default, say)."""
    settings.setdefault("required", "default" not in settings)
    return click.option(
        "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help=help_text,
        **settings,
    )  # fmt: skip


def _fail(message: str) -> click.ClickException:
    exc = click.ClickException(message)
    exc.exit_code = EXIT_PROBLEMS
    return exc


def problem_lines(err) -> list[str]:
    """A library error as it is printed: "Error:" once, then one line per problem."""
    from .errors import ProblemsError

    problems = err.problems if isinstance(err, ProblemsError) else [err]
    if len(problems) == 1:
        return [f"{ERROR}{problems[0]}"]
    return [ERROR + PROBLEMS.format(count=len(problems))] + [f"  {p}" for p in problems]


@contextlib.contextmanager
def _problems():
    """Run a library call; its errors are printed by problem_lines, and exit 1."""
    from .errors import CoupleError

    try:
        yield
    except CoupleError as err:
        for line in problem_lines(err):
            click.echo(line, err=True)
        raise click.exceptions.Exit(EXIT_PROBLEMS) from None


class _Main(click.Group):
    """The command group; a bug of ours ends in one line, not a traceback (unless --debug)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception:
            if ctx.meta.get("couple_xl.debug"):
                raise
            raise _fail(INTERNAL) from None


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get("couple_xl.debug"))


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    from .errors import InputError
    from .inputs import parse_date

    try:
        return parse_date(value, what="")
    except InputError as err:
        raise click.BadParameter(err.message.strip()) from None


def _contact(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    if value is None:
        return ""
    from .errors import InputError
    from .inputs import parse_contact

    try:
        return str(parse_contact(value))
    except InputError as err:
        raise click.BadParameter(err.message) from None


def _template_ref(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A built-in template id, or a template file that exists (else exit 2)."""
    if value is None:
        return None
    from .templates import builtin_templates

    builtin = builtin_templates()
    if value in builtin or Path(value).exists():
        return value
    raise click.BadParameter(
        f"{value!r} is neither a built-in template ({', '.join(builtin)}) nor a file that exists"
    )


template_option = click.option(
    "--template",
    "template_ref",
    metavar="ID|PATH",
    default=None,
    callback=_template_ref,
    help="Built-in template id or a template file (default: couple).",
)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="couple-xl")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """COUPLE partnership health checks in Excel workbooks.

    Generate one workbook per partner organisation, email them out, and read the
    returns back to compare how partners see the partnership.
    """
    ctx.meta["couple_xl.debug"] = debug


@main.command(epilog=EXIT_RULES)
@click.argument("partnership")
@click.option(
    "--partner",
    "partners",
    multiple=True,
    metavar="ORG",
    help="A partner organisation (repeatable).",
)
@click.option(
    "--partners-file",
    type=input_file(),
    help="CSV or XLSX with columns partner, email, contact (only partner is required).",
)
@template_option
@click.option(
    "--round", "round_label", metavar="LABEL", help="Round label (default: the round date)."
)
@click.option(
    "--round-date",
    callback=_date,
    metavar="YYYY-MM-DD",
    help="Date of the round, used to order rounds (default: today).",
)
@click.option(
    "--due", callback=_date, metavar="DATE", help="Return-by date: YYYY-MM-DD or DD/MM/YYYY."
)
@click.option(
    "--contact",
    callback=_contact,
    metavar='"NAME <EMAIL>"',
    help="Who partners return the workbook to.",
)
@click.option(
    "--partnership-id", metavar="ID", help="Keep this id instead of deriving one from the name."
)
@out_folder_option(f"Folder to write the workbooks and manifest into; they are {NEEDS_FORCE}.")
@click.option(
    "--scoring",
    type=click.Choice([ADDIN, NATIVE]),
    default=ADDIN,
    show_default=True,
    help="addin: score cells call the COUPLE_ functions where an add-in provides them, "
    "with plain formulas as the fallback; native: plain formulas only.",
)
@click.option(
    "--embed-lite",
    is_flag=True,
    help="Carry the COUPLE_ functions inside each workbook for the free xlwings Lite "
    "add-in (off by default: see the README before turning it on).",
)
@click.option(
    "--email",
    is_flag=True,
    help="Also write an email draft (.eml) for each partner with an email address, and a "
    "send list (send-list.html) for webmail, into OUT/emails.",
)
@click.option(
    "--plan",
    "plan_path",
    type=input_file(),
    help="The action plan agreed after the last round (from `couple-xl plan`): each "
    "workbook asks how every agreed action is going.",
)
@click.option(
    "--force", is_flag=True, help="Overwrite the workbooks and manifest (and their drafts)."
)
def new(
    partnership: str,
    partners: tuple[str, ...],
    partners_file: Path | None,
    template_ref: str | None,
    round_label: str | None,
    round_date: dt.date | None,
    due: dt.date | None,
    contact: str,
    partnership_id: str | None,
    out_dir: Path,
    scoring: str,
    embed_lite: bool,
    email: bool,
    plan_path: Path | None,
    force: bool,
) -> None:
    """Write one workbook per partner organisation, and a manifest.

    PARTNERSHIP is the partnership's name, as partners will see it. Each
    workbook carries the partnership id, round and a unique return id, so that
    returns are recognised whatever they are renamed to.

    Example:

    \b
        couple-xl new "Riverside Food Partnership" \\
          --partner "Age UK Riverside" --partner "Riverside Foodbank" \\
          --due 2026-12-18 --contact "Sam Lee <sam@example.org>" \\
          --out returns/2026-autumn
    """
    from .generate import RoundRequest, new_round
    from .inputs import partner_entries, read_partners_file
    from .templates import resolve_template

    if embed_lite and scoring == "native":
        raise click.UsageError("--embed-lite needs --scoring addin: native formulas never call it")
    if not partners and partners_file is None:
        raise click.UsageError(
            "no partners given: use --partner ORG (repeatable) or --partners-file FILE"
        )
    with _problems():
        file_entries = read_partners_file(partners_file) if partners_file else []
        request = RoundRequest(
            partnership_name=partnership,
            partners=partner_entries(list(partners), file_entries),
            template=resolve_template(template_ref),
            out_dir=out_dir,
            round_label=round_label,
            round_date=round_date or dt.date.today(),
            due_date=due,
            contact=contact,
            partnership_id=partnership_id,
            force=force,
            scoring_mode=scoring,
            embed_lite=embed_lite,
            email=email,
            plan=plan_path,
        )
        result = new_round(request)
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(
        f"Partnership {result.partnership_id}, round {result.round_label}: "
        f"{len(result.workbooks)} workbook(s) in {out_dir}"
    )
    for w in result.workbooks:
        click.echo(f"  {w.path.name}  ({w.partner})")
    click.echo(f"  {result.manifest.name}  (manifest: keep it for consolidation)")
    if result.agreed:
        click.echo(
            f"Each workbook asks how the {len(result.agreed)} agreed action(s) of the plan "
            "are going (on its Agreed actions sheet)."
        )
    if result.drafts is not None:
        _print_drafts(result.drafts, "email")


def _print_drafts(drafts, kind: str) -> None:
    """Where the drafts and the send list are, and which workbook to send some other way
    to each partner with no email address."""
    if drafts.send_list is not None:
        where = drafts.send_list.parent
        click.echo(f"{len(drafts.written)} {kind} draft(s) and a send list in {where}:")
        click.echo(f"  {drafts.send_list.name}  (open it in a browser if you use webmail)")
        for path in drafts.written:
            click.echo(f"  {path.name}")
    for inv in drafts.without_email:
        click.echo(
            f"No email address for {inv.partner}: send them their workbook some other way: "
            f"{inv.workbook}"
        )


@main.group()
def templates() -> None:
    """List, check, export and import assessment templates."""


@templates.command("list", epilog=EXIT_RULES)
def templates_list() -> None:
    """List the built-in templates.

    Example:

    \b
        couple-xl templates list
    """
    from .templates import builtin_templates, load_template_file

    with _problems():
        found = builtin_templates()
        for template_id, path in found.items():
            t = load_template_file(path)
            click.echo(
                f"{template_id}  {t.version}  {t.title}  "
                f"({len(t.principles)} principles, {len(t.questions)} statements)"
            )


@templates.command("check", epilog=EXIT_RULES)
@click.argument("file", type=input_file())
def templates_check(file: Path) -> None:
    """Check a template file and list every problem in it.

    Example:

    \b
        couple-xl templates check my_template.toml
    """
    from .templates import load_template_file

    with _problems():
        t = load_template_file(file)
    click.echo(
        f"{file}: OK: template {t.id} {t.version}, {len(t.principles)} principles, "
        f"{len(t.questions)} statements"
    )


@templates.command("export", epilog=EXIT_RULES)
@click.argument("template_ref", metavar="TEMPLATE", callback=_template_ref)
@output_option(f"The workbook to write (.xlsx); {NEEDS_FORCE}.")
@click.option("--force", is_flag=True, help="Overwrite the workbook if it exists.")
def templates_export(template_ref: str, output: Path, force: bool) -> None:
    """Write a template's questions to a workbook you can edit in Excel.

    TEMPLATE is a built-in template id (see templates list) or a template file.
    The workbook has a questions sheet (one row per statement), a principles
    sheet and a template sheet (scale and settings).

    Example:

    \b
        couple-xl templates export couple -o questions.xlsx
    """
    from .template_sheets import export_questions

    with _problems():
        t = export_questions(template_ref, output, force)
    click.echo(f"Wrote {output}: {len(t.questions)} statements of template {t.id} {t.version}.")
    click.echo(
        "Edit it in Excel (add, reword or remove rows on the questions sheet), then: "
        f"couple-xl templates import {output} -o my-template.toml"
    )


@templates.command("import", epilog=EXIT_RULES)
@click.argument("file", type=input_file())
@output_option(f"The template file to write (.toml); {NEEDS_FORCE}.")
@click.option("--force", is_flag=True, help="Overwrite the template file if it exists.")
def templates_import(file: Path, output: Path, force: bool) -> None:
    """Turn a questions workbook (from templates export) into a template file.

    Only the questions sheet is needed: without a principles sheet the six
    COUPLE principles apply, without a template sheet the standard scale and
    settings. Every problem is listed with its sheet and cell.

    Example:

    \b
        couple-xl templates import questions.xlsx -o my-template.toml
    """
    from .template_sheets import import_questions

    with _problems():
        t = import_questions(file, output, force)
    click.echo(
        f"Wrote {output}: template {t.id} {t.version}, {len(t.principles)} principles, "
        f"{len(t.questions)} statements."
    )
    click.echo(f"Use it with: couple-xl new --template {output} …")


CLASSIC_STEPS = """\
Classic xlwings add-in (Windows desktop Excel, for the coordinator's own analysis):
  1. In a Command Prompt, install couple_xl from its folder, then the add-in:
        py -m pip install C:\\path\\to\\couple_xl
        xlwings addin install
  2. In Excel: File > Options > Trust Center > Trust Center Settings > Macro Settings,
     tick "Trust access to the VBA project object model".
  3. Open the workbook and save a copy as "Excel Macro-Enabled Workbook" (.xlsm).
     Partner workbooks stay .xlsx; only your own copy holds macros.
  4. In that copy press Alt+F11, choose Tools > References, tick "xlwings", click OK.
  5. On the xlwings ribbon tab, type {module} into "UDF Modules" (or copy the
     xlwings.conf that `couple-xl addin --out DIR` writes into %USERPROFILE%\\.xlwings),
     then click "Import Functions".
  6. The score cells now use the COUPLE_ functions; you can also type them yourself,
     for example =COUPLE_SCORE(Commitment!C5:C8).
"""

LITE_STEPS = """\
xlwings Lite (Excel 365 on Windows or Mac, and Excel on the web; no Python needed):
  1. In Excel: Home > Add-ins (or Insert > Get Add-ins), search for "xlwings Lite",
     and add it (it is free).
  2. Open the xlwings Lite task pane, choose main.py in its editor, select everything
     and replace it with the contents of {main}.
  3. Do the same for requirements.txt with {requirements}.
  4. Save the workbook. The COUPLE_ functions now work in it, for example
     =COUPLE_SCORE(Commitment!C5:C8), and travel with the file.
"""


@main.command(epilog=EXIT_RULES)
@click.option("--lite", is_flag=True, help="Write the xlwings Lite main.py and requirements.txt.")
@out_folder_option(
    f"Folder to write the files into (required with --lite); they are {NEEDS_FORCE}.",
    required=False,
)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def addin(lite: bool, out_dir: Path | None, force: bool) -> None:
    """Set up the COUPLE_ functions in Excel, and say what to click.

    Without --lite: the classic xlwings add-in (Windows desktop Excel). Prints the
    configuration and the steps; with --out, also writes xlwings.conf.

    With --lite: writes a self-contained main.py (and requirements.txt) to paste
    into the xlwings Lite editor, generated from couple_xl's own scoring engine.

    Example:

    \b
        couple-xl addin --lite --out lite
        couple-xl addin --out addin
    """
    from .addin import UDF_MODULE, classic_config, write_classic_config, write_lite_files

    if lite and out_dir is None:
        raise click.UsageError("--lite needs --out DIR, the folder to write main.py into")
    with _problems():
        if lite:
            files = write_lite_files(out_dir, force=force)
            main_py, requirements = files.written
            click.echo(f"Wrote {main_py} and {requirements}\n")
            click.echo(LITE_STEPS.format(main=main_py, requirements=requirements), nl=False)
            return
        click.echo(CLASSIC_STEPS.format(module=UDF_MODULE))
        if out_dir is None:
            click.echo("xlwings.conf:")
            click.echo(classic_config(), nl=False)
        else:
            (conf,) = write_classic_config(out_dir, force=force).written
            click.echo(f"Wrote {conf}")


# How a finding about a whole run is labelled, by its severity.
RUN_LABELS = {"error": "Error", "warning": "Warning", "note": "Note"}


def _print_log(result, quiet: bool = False, whose: bool = False) -> None:
    """A line per file; a line per problem, each naming where it is and what to do;
    with ``whose``, a line saying whose return each one read is."""
    from .consolidate import REJECTED, SKIPPED
    from .errors import Severity

    def said(finding) -> str:
        inside = finding.location.inside()
        return f"{inside}: {finding.message}" if inside else finding.message

    debug = _debug()
    for f in result.files:
        if quiet and all(x.severity == Severity.NOTE for x in f.findings):
            continue
        not_counted = f.record is not None and not f.counted and f.verdict != REJECTED
        head = f"{f.verdict}{', not counted' if not_counted else ''}: {f.path}"
        one_line = len(f.findings) == 1 and f.verdict in (REJECTED, SKIPPED)
        click.echo(f"{head}: {said(f.findings[0])}" if one_line else head)
        if whose and f.record is not None:
            click.echo(f"    {f.record.whose}")
        if not one_line:
            for finding in f.findings:
                click.echo(f"    {finding.severity}: {said(finding)}")
        if debug:
            for finding in f.findings:
                if finding.detail:
                    click.echo("    " + finding.detail.rstrip().replace("\n", "\n    "), err=True)
    for finding in result.findings:
        click.echo(f"{RUN_LABELS[finding.severity.value]}: {finding}", err=True)


@main.command(epilog=EXIT_RULES)
@returns_argument
@output_option(f"The summary workbook to write (.xlsx); {REPLACED}.")
@click.option(
    "--manifest",
    "manifests",
    multiple=True,
    type=input_file(),
    help="A manifest written by `new` (those among PATHS are found anyway).",
)
@click.option("--partnership", metavar="ID", help="Keep only this partnership id.")
@click.option(
    "--csv",
    "csv_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Also write answers.csv and scores.csv into this folder; {REPLACED}.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Also write everything as JSON, text exactly as typed; {REPLACED}.",
)
@click.option(
    "--pdf",
    "pdf_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Also write the trustees' report: a tagged PDF, a page per partnership; {REPLACED}.",
)
@click.option("--anonymise", is_flag=True, help="Leave respondents' names out of every output.")
@click.option(
    "--level",
    type=click.Choice(LEVELS),
    default=PARTNER,
    show_default=True,
    help="partnership: totals only, with no per-partner columns and no comments, to share "
    "more widely.",
)
@click.option("--strict", is_flag=True, help="Write nothing if any file is rejected.")
@template_option
@click.option("--quiet", is_flag=True, help="No progress bar; list only files with problems.")
def consolidate(
    paths: tuple[Path, ...],
    output: Path,
    manifests: tuple[Path, ...],
    partnership: str | None,
    csv_dir: Path | None,
    json_path: Path | None,
    pdf_path: Path | None,
    anonymise: bool,
    level: str,
    strict: bool,
    template_ref: str | None,
    quiet: bool,
) -> None:
    """Read returned workbooks and write a comparison summary.

    PATHS are files or folders (searched recursively). Saved emails (.eml) are
    opened and the workbooks attached to them read, in memory. Give the round's sent
    folder too (or --manifest): its manifest says who has not returned yet. Each
    file is accepted, accepted with warnings, or rejected, with reasons. Exit code 1
    when any file is rejected (the summary is still written from the others unless
    --strict).

    Example:

    \b
        couple-xl consolidate returns/ sent/autumn -o summary.xlsx --csv exports
        couple-xl consolidate returns/ sent/autumn -o board.xlsx --pdf report.pdf \\
          --level partnership
    """
    import sys

    from .pipeline import ConsolidateOptions, run_consolidate
    from .templates import resolve_template

    if output.suffix.lower() != ".xlsx":
        raise click.UsageError("the summary (-o) must be an .xlsx file")
    if pdf_path is not None and pdf_path.suffix.lower() != ".pdf":
        raise click.UsageError("the report (--pdf) must be a .pdf file")
    with _problems():
        options = ConsolidateOptions(
            paths=list(paths),
            output=output,
            manifests=list(manifests),
            partnership=partnership,
            csv_dir=csv_dir,
            json_path=json_path,
            pdf_path=pdf_path,
            anonymise=anonymise,
            level=level,
            strict=strict,
            template=resolve_template(template_ref) if template_ref else None,
        )
        show_bar = not quiet and sys.stderr.isatty()
        with _Progress(show_bar) as progress:
            outcome = run_consolidate(options, progress=progress.update)
    result = outcome.result
    _print_log(result, quiet)
    # What Excel's limits changed in the summary, and text the report's font cannot draw.
    for finding in outcome.findings:
        click.echo(f"{finding.severity.value.capitalize()}: {finding}", err=True)
    counted = len(result.records)
    rejected = len(result.rejected)
    if outcome.written:
        click.echo(f"{counted} return(s) counted, {rejected} rejected. Wrote:")
        for path in outcome.written:
            click.echo(f"  {path}")
    elif strict and rejected:
        click.echo(f"{rejected} file(s) rejected and --strict is set: nothing written.")
    else:
        click.echo("Nothing to summarise: nothing written.")
    if result.problems:
        raise click.exceptions.Exit(EXIT_PROBLEMS)


@main.command(epilog=EXIT_RULES)
@returns_argument
@output_option(f"The action-plan workbook to write (.xlsx); {NEEDS_FORCE}.")
@click.option("--partnership", metavar="ID", help="The partnership, when the returns hold several.")
@click.option("--force", is_flag=True, help="Overwrite the plan if it exists.")
def plan(paths: tuple[Path, ...], output: Path, partnership: str | None, force: bool) -> None:
    """Write the action plan of a partnership's latest round, for its meeting.

    PATHS are read exactly as consolidate reads them. The plan lists, first, the
    actions agreed earlier that are not closed yet, then every suggested action
    (identical suggestions once, naming each partner), then spare rows for the
    meeting's own. Mark the agreed rows Yes, then give the plan to `new --plan`.
    Exit code 1 when any file is rejected (the plan is still written).

    Example:

    \b
        couple-xl plan returns/ -o plan.xlsx
    """
    from .plan import PlanOptions, run_plan

    if output.suffix.lower() != ".xlsx":
        raise click.UsageError("the plan (-o) must be an .xlsx file")
    with _problems():
        outcome = run_plan(PlanOptions(list(paths), output, partnership, force))
    result = outcome.result
    _print_log(result, quiet=False)
    if outcome.written is None:
        click.echo("No returns to plan from: nothing written.")
    else:
        carried = sum(1 for row in outcome.rows if row.agreed)
        suggested = sum(1 for row in outcome.rows if row.suggested and not row.agreed)
        click.echo(
            f"Wrote {outcome.written}: {outcome.round.partnership_name}, {outcome.round.round}: "
            f"{carried} open action(s) carried over, {suggested} suggestion(s), and spare rows."
        )
    if result.problems:
        raise click.exceptions.Exit(EXIT_PROBLEMS)


class _Progress:
    """A progress bar on the terminal, started when the library says how many files."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = None

    def __enter__(self) -> _Progress:
        return self

    def update(self, path: Path, total: int) -> None:
        import sys

        if not self.enabled or total <= PROGRESS_FROM:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Reading returns", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(1)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


@main.command(epilog=EXIT_RULES)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@template_option
def check(files: tuple[Path, ...], template_ref: str | None) -> None:
    """Check returned workbooks as they arrive: a verdict for each file.

    FILES may also be saved emails (.eml): their attached workbooks are checked, and
    folders: the workbooks in them are. Each return read is named by its partnership,
    round, partner and respondent; files of more than one partnership are pointed out.
    Writes nothing. Exit code 1 when any file is rejected, or none is a return.

    Example:

    \b
        couple-xl check "Age UK Riverside (returned).xlsx"
    """
    from .pipeline import run_check
    from .templates import resolve_template

    with _problems():
        template = resolve_template(template_ref) if template_ref else None
        result = run_check(list(files), template)
    _print_log(result, whose=True)
    if result.problems:
        raise click.exceptions.Exit(EXIT_PROBLEMS)


@main.command(epilog=EXIT_RULES)
@click.argument("manifest", type=input_file())
@click.argument("returns", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@out_folder_option(
    f"Folder to write the reminder drafts and send list into; they are {NEEDS_FORCE}."
)
@click.option("--force", is_flag=True, help="Overwrite reminder drafts and a send list there.")
def remind(manifest: Path, returns: tuple[Path, ...], out_dir: Path, force: bool) -> None:
    """Write reminder emails for the partners whose return has not arrived.

    MANIFEST is the one `new` wrote (the workbooks beside it are attached again);
    RETURNS are the files, emails and folders received so far. Partners with a
    counted return get nothing; a partner whose return was rejected is told why.

    Example:

    \b
        couple-xl remind sent/autumn/riverside-food-partnership_autumn-2026.manifest.json \\
          returns/ --out reminders
    """
    from .reminders import remind as write_reminders

    with _problems():
        outcome = write_reminders(manifest, list(returns), out_dir, force=force)
    if not outcome.missing:
        click.echo("Every partner's return has arrived and counts: no reminders needed.")
        return
    click.echo(f"Not yet returned: {', '.join(outcome.missing)}")
    if outcome.drafts is not None:
        _print_drafts(outcome.drafts, "reminder")
    if outcome.no_workbook:
        click.echo(
            f"{ERROR}not reminded, their workbook is not beside the manifest (keep the folder "
            f"`couple-xl new` wrote): {', '.join(outcome.no_workbook)}",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_PROBLEMS)


@main.command(epilog=EXIT_RULES)
@out_folder_option(
    f"Folder for the example; the demo in it is {REPLACED}.",
    default="couple-demo",
    show_default=True,
)
def demo(out_dir: Path) -> None:
    """Build an example partnership, simulate its returns, and consolidate them.

    Two rounds of four partners; in the second round one partner has not replied.
    Running it again replaces the earlier demo in the same folder.

    Example:

    \b
        couple-xl demo --out couple-demo
    """
    from .demo import run_demo

    with _problems():
        outcome = run_demo(out_dir)
    click.echo(f"Example partnership in {outcome.folder}:")
    click.echo(f"  {len(outcome.workbooks)} partner workbooks in {outcome.folder / 'workbooks'}")
    click.echo(
        f"  {len(outcome.returns)} simulated returns in {outcome.folder / 'returns'} "
        f"({', '.join(outcome.missing)} has not replied to the latest round)"
    )
    if outcome.plans:
        written, agreed = outcome.plans[0], outcome.plans[-1]
        click.echo(
            f"  the action plan after the first round, {written.name}, and as the partners "
            f"agreed it, {agreed.name}: the second round asks how each agreed action is going"
        )
    for path in outcome.consolidation.written:
        click.echo(f"  {path}")
    click.echo(f"Open the summary: {outcome.consolidation.written[0]}")
