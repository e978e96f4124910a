"""The ``ehrlog`` command line: one group, one module per subcommand."""

from __future__ import annotations

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


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
