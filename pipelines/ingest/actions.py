"""Action-name normalization and the shipped default action map.

An audit-log action matches the map "exactly after trimming and case folding"
(CONTRACT.md section 1): ``normalize_action(" Order Signed ") == "order signed"``. The rule
is Python's ``str.strip().casefold()``, applied once per distinct value (actions have few
distinct values), so it is exact and still vectorized over rows.
"""

from __future__ import annotations

from importlib import resources

import polars as pl

ACTION_MAP_SCHEMA = {"action": pl.String, "category": pl.String}


def normalize_action(action: str) -> str:
    """The matching form of one action name.

    >>> normalize_action("  In Basket Message VIEWED ")
    'in basket message viewed'
    """
    return action.strip().casefold()


def normalize_actions(actions: pl.Series) -> pl.Series:
    """``normalize_action`` over a Series, computed once per distinct value; nulls stay null."""
    distinct = actions.drop_nulls().unique()
    folded = pl.Series([normalize_action(a) for a in distinct.to_list()], dtype=pl.String)
    return actions.replace_strict(distinct, folded, default=None, return_dtype=pl.String)


def normalize_action_expr(expr: pl.Expr) -> pl.Expr:
    """``normalize_actions`` as a Polars expression (usable in lazy frames)."""
    return expr.map_batches(normalize_actions, return_dtype=pl.String)


def default_action_map() -> pl.DataFrame:
    """The shipped map ``schemas/action_map.csv``: normalized action, category.

    One row per normalized action (the first row wins should two names fold together).
    """
    text = resources.files("schemas").joinpath("action_map.csv").read_bytes()
    shipped = pl.read_csv(text, infer_schema=False)
    return (
        shipped.select(
            normalize_action_expr(pl.col("action")).alias("action"),
            pl.col("category").str.strip_chars().str.to_lowercase(),
        )
        .filter(pl.col("action").is_not_null() & (pl.col("action") != ""))
        .unique("action", keep="first", maintain_order=True)
    )
