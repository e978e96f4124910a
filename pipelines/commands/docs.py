"""``ehrlog docs``: write the data dictionary from the warehouse's COMMENTs.

Opens the published warehouse read-only and renders :mod:`pipelines.dictionary`.
"""

from __future__ import annotations

from pathlib import Path

import click
import duckdb

from pipelines.dictionary import missing_comments, read_catalog, render

DEFAULT_OUT = Path("docs/data-dictionary.md")


@click.command(name="docs")
@click.option(
    "--warehouse",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The published DuckDB warehouse (opened read-only).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Markdown file to write; '-' for standard output.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 when --out differs from what would be written.",
)
def command(warehouse: Path, out: Path, check: bool) -> None:
    """Write the data dictionary (Markdown) from the table and column COMMENTs.

    One section per schema (marts, core, staging, quarantine, raw), one table per
    relation with its grain and a column | type | description table. The output depends
    only on the warehouse's schema and comments, so it can be committed and checked.
    """
    if not warehouse.is_file():
        raise click.ClickException(f"warehouse not found: {warehouse}")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise click.ClickException(f"cannot open warehouse {warehouse}: {first}") from None
    try:
        relations = read_catalog(con)
    finally:
        con.close()
    if not relations:
        raise click.ClickException(f"warehouse {warehouse} has no tables; run `ehrlog run` first")
    text = render(relations)
    for name in missing_comments(relations):
        click.echo(f"warning: {name} has no comment", err=True)
    if str(out) == "-":
        click.echo(text, nl=False)
        return
    if check:
        current = out.read_text(encoding="utf-8") if out.is_file() else None
        if current != text:
            raise click.ClickException(
                f"{out} is out of date; regenerate it with "
                f"`ehrlog docs --warehouse {warehouse} --out {out}`"
            )
        click.echo(f"{out} is up to date")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out} ({len(relations)} tables)")

