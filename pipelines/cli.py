"""The ``ehrlog`` command line: one group, one module per subcommand."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

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


def run_command(args: Sequence[str] | None = None) -> int:
    """Run one ``ehrlog`` command line (``args``: after the program name; default: argv)
    and return its exit status.

    The modules imported by then live until the process ends, so they are frozen out of
    the garbage collector first (``gc.freeze``): the collections during a run no longer
    walk them (docs/performance.md, "Fixed costs").
    """
    gc.freeze()
    try:
        cli.main(args=list(args) if args is not None else None, prog_name="ehrlog")
    except SystemExit as e:
        return _status(e.code)
    except BaseException:
        gc.unfreeze()  # an unexpected error: the interpreter's usual exit follows
        raise
    return 0


def _status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def exit_now(status: int) -> NoReturn:
    """End the process with ``status`` once the command is done, without the interpreter's
    teardown.

    The ``atexit`` handlers run first (logging's flush, the removal of temporary folders)
    and the standard streams are flushed; every file and database the command opened is
    closed by then. What is skipped is the teardown of every imported module and the
    collection of every object left, which took about 1.6 s after a run (Great
    Expectations, Dagster, Polars and DuckDB are loaded; docs/performance.md).
    """
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def main(args: Sequence[str] | None = None) -> NoReturn:
    """The ``ehrlog`` program: :func:`run_command`, then :func:`exit_now`."""
    exit_now(run_command(args))


if __name__ == "__main__":
    main()
