"""`python -m couple_xl`: the same as the couple-xl command."""

from .cli import main

main(prog_name="couple-xl")
