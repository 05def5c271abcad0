"""The couple-xl command line. Each command calls one library function.

Only this module prints or exits. Library errors (CoupleError) become
"Error: …" with exit code 1; usage errors exit with code 2. Heavy imports happen
inside the commands, so that `couple-xl --help` starts quickly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from . import __version__

EXIT_PROBLEMS = 1


def _fail(err: Exception) -> click.ClickException:
    exc = click.ClickException(str(err))
    exc.exit_code = EXIT_PROBLEMS
    return exc


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


template_option = click.option(
    "--template",
    "template_ref",
    metavar="ID|PATH",
    default=None,
    help="Built-in template id or a template file (default: couple).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="couple-xl")
def main() -> None:
    """COUPLE partnership health checks in Excel workbooks.

    Generate one workbook per partner organisation, email them out, and read the
    returns back to compare how partners see the partnership.
    """


@main.command()
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
    type=click.Path(dir_okay=False, path_type=Path),
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
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the workbooks and manifest into.",
)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
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
    from .errors import CoupleError
    from .generate import RoundRequest, new_round
    from .inputs import partner_entries, read_partners_file
    from .templates import resolve_template

    if not partners and partners_file is None:
        raise click.UsageError(
            "no partners given: use --partner ORG (repeatable) or --partners-file FILE"
        )
    try:
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
        )
        result = new_round(request)
    except CoupleError as err:
        raise _fail(err) from None
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(
        f"Partnership {result.partnership_id}, round {result.round_label}: "
        f"{len(result.workbooks)} workbook(s) in {out_dir}"
    )
    for w in result.workbooks:
        click.echo(f"  {w.path.name}  ({w.partner})")
    click.echo(f"  {result.manifest.name}  (manifest: keep it for consolidation)")


@main.group()
def templates() -> None:
    """List and check assessment templates."""


@templates.command("list")
def templates_list() -> None:
    """List the built-in templates.

    Example:

    \b
        couple-xl templates list
    """
    from .errors import CoupleError
    from .templates import builtin_templates, load_template_file

    try:
        found = builtin_templates()
        for template_id, path in found.items():
            t = load_template_file(path)
            click.echo(
                f"{template_id}  {t.version}  {t.title}  "
                f"({len(t.principles)} principles, {len(t.questions)} statements)"
            )
    except CoupleError as err:
        raise _fail(err) from None


@templates.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def templates_check(file: Path) -> None:
    """Check a template file and list every problem in it.

    Example:

    \b
        couple-xl templates check my_template.toml
    """
    from .errors import TemplateError
    from .templates import load_template_file

    try:
        t = load_template_file(file)
    except TemplateError as err:
        for problem in err.problems:
            click.echo(str(problem), err=True)
        raise click.exceptions.Exit(EXIT_PROBLEMS) from None
    click.echo(
        f"{file}: OK: template {t.id} {t.version}, {len(t.principles)} principles, "
        f"{len(t.questions)} statements"
    )
