"""The ``ehrlog`` command line: one group, one module per subcommand."""

from __future__ import annotations

import gc
from collections.abc import Sequence

import click

from pipelines import __version__
from pipelines.commands import (
    backfill,
    cost,
    docs,
    flags,
    generate,
    methods,
    report,
    run,
    sensitivity,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ehrlog")
def cli() -> None:
    """EHR audit-log burden measures: load extracts, compute measures, flag and report."""


for _module in (run, backfill, generate, flags, cost, report, sensitivity, methods, docs):
    cli.add_command(_module.command)


def main(args: Sequence[str] | None = None) -> None:
    """Run ``ehrlog`` (``args``: the command line after the program name; default: argv).

    The modules imported by then live until the process ends, so they are frozen out of
    the garbage collector (``gc.freeze``): the collections during a run no longer walk
    them. The objects left at the end are frozen too, so the interpreter's collections at
    exit skip them: after a run, which imports Great Expectations, Dagster, Polars and
    DuckDB, they took about 1.5 s (docs/performance.md, "Fixed costs").
    """
    gc.freeze()
    try:
        cli.main(args=list(args) if args is not None else None, prog_name="ehrlog")
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
