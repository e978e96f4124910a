"""Placeholder for `ehrlog generate`; replaced by its implementation."""

import click


@click.command(name="generate")
def command() -> None:
    """Not implemented yet."""
    raise click.ClickException("ehrlog generate is not implemented yet")
