"""Action-to-category mapping (CONTRACT.md section 1, "Categories").

An action matches the map exactly after trimming and case folding; an unmapped action
is ``other``.
"""

from __future__ import annotations

import polars as pl

from schemas.contract import CATEGORIES

#: The category dtype: its integer code is the category's priority when events share an
#: instant (0 = highest; CONTRACT.md section 3).
CATEGORY = pl.Enum(CATEGORIES)


def _fold(names: pl.Series) -> pl.Series:
    """Python's ``str.strip().casefold()`` applied to each distinct name (Polars has no
    full case folding: ``to_lowercase`` keeps "ß", casefold gives "ss")."""
    distinct = names.unique().drop_nulls()
    folded = [n.strip().casefold() for n in distinct.to_list()]
    return names.replace_strict(distinct, folded, default=None, return_dtype=pl.String)


def normalize_action(action: pl.Expr) -> pl.Expr:
    """Trim and case-fold an action name, the form the map is matched in."""
    return action.map_batches(_fold, return_dtype=pl.String)


def categorize(events: pl.LazyFrame, action_map: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``category`` (dtype :data:`CATEGORY`) and ``mapped`` to events; grain
    unchanged (one row per event).

    ``action_map`` has ``action`` (already normalized) and ``category``.
    """
    amap = action_map.select(
        normalize_action(pl.col("action")).alias("_action_key"), pl.col("category")
    ).unique(subset="_action_key", keep="last")
    # Fold and match each distinct delivered action once (a few hundred names), then join
    # the rows on the delivered name: one hash pass over the events instead of three.
    lookup = (
        events.select(pl.col("action").unique())
        .with_columns(normalize_action(pl.col("action")).alias("_action_key"))
        .join(amap, on="_action_key", how="left")
        .select(
            "action",
            pl.col("category").fill_null("other").cast(CATEGORY),
            pl.col("category").is_not_null().alias("mapped"),
        )
    )
    return events.join(lookup, on="action", how="left").with_columns(
        # A null action never matches. The literal is typed: a plain string filling an
        # Enum column makes Polars 2.1's streaming joins downstream panic.
        pl.col("category").fill_null(pl.lit("other", dtype=CATEGORY)),
        pl.col("mapped").fill_null(False),
    )


def unmapped_events(actions: pl.DataFrame, action_map: pl.DataFrame) -> tuple[int, int]:
    """(events with an unmapped action, all events) from ``actions`` (one row per
    delivered action: ``action``, ``n`` events)."""
    if actions.height == 0:
        return 0, 0
    cat = categorize(actions.lazy(), action_map.lazy()).collect()
    total = int(cat.get_column("n").sum())
    return int(cat.filter(~pl.col("mapped")).get_column("n").sum()), total
