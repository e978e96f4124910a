"""Vectorized parsers from delivered values to staged types (Polars, no row loops).

Each ``add_*`` function takes a LazyFrame and a delivered column and adds two columns:
``value_of(col)``, the staged value (null when blank or unreadable), and
``status_of(col)``, null or the quarantine reason the value earned while parsing
(``bad_time``, ``nonexistent_local_time``, ``bad_number``, ``bad_enum``).

Time stamps: naive wall-clock ``YYYY-MM-DD HH:MM[:SS[.fff]]`` (space or ``T``) is read in
the configured time zone, the repeated fall-back hour taking the earlier instant and a
spring-forward gap time earning ``nonexistent_local_time``; with an offset (``Z``, ``+05``,
``+0500``, ``+05:00``) the instant is exact. Staged instants are ``Datetime("us", "UTC")``.
Parquet datetimes: naive ones are local wall-clock, tz-aware ones are converted.
"""

from __future__ import annotations

import polars as pl

from pipelines.ingest.actions import normalize_action_expr

INSTANT = pl.Datetime("us", "UTC")
_TIME_RE = (
    r"^(?<d>\d{4}-\d{2}-\d{2})[Tt ](?<hm>\d{2}:[0-5]\d)(?::(?<s>[0-5]\d)(?<f>\.\d{1,9})?)?"
    r"\s*(?<o>[Zz]|[+-]\d{2}(?::?[0-5]\d)?)?$"
)  # no leap second (:60) and no offset minutes above 59: those are bad_time
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
MAX_OFFSET_MINUTES = 18 * 60


def value_of(col: str) -> str:
    return f"__v__{col}"


def status_of(col: str) -> str:
    return f"__s__{col}"


def as_text(col: str) -> pl.Expr:
    """The delivered value as trimmed text (null stays null)."""
    return pl.col(col).cast(pl.String, strict=False).str.strip_chars()


def is_blank(col: str) -> pl.Expr:
    """True when the delivered value is null or only white space."""
    return as_text(col).fill_null("") == ""


def _null_if_blank(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.fill_null("") == "").then(pl.lit(None, pl.String)).otherwise(expr)


def _ok(col: str) -> pl.Expr:
    return pl.lit(None, pl.String).alias(status_of(col))


def add_text(lf: pl.LazyFrame, col: str, *, verbatim: bool = False) -> pl.LazyFrame:
    """Text: trimmed (or, with ``verbatim``, as delivered); blank becomes null."""
    raw = pl.col(col).cast(pl.String, strict=False)
    value = pl.when(is_blank(col)).then(pl.lit(None, pl.String)).otherwise(
        raw if verbatim else raw.str.strip_chars()
    )
    return lf.with_columns(value.alias(value_of(col)), _ok(col))


def add_action_key(lf: pl.LazyFrame, col: str) -> pl.LazyFrame:
    """An action name normalized for matching (trimmed, lower-cased; see actions.py)."""
    value = normalize_action_expr(_null_if_blank(as_text(col)))
    return lf.with_columns(value.alias(value_of(col)), _ok(col))


def add_enum(lf: pl.LazyFrame, col: str, allowed: tuple[str, ...]) -> pl.LazyFrame:
    """An enum: trimmed and lower-cased; a value outside ``allowed`` earns ``bad_enum``."""
    value = _null_if_blank(as_text(col).str.to_lowercase())
    status = pl.when(value.is_not_null() & ~value.is_in(list(allowed))).then(pl.lit("bad_enum"))
    return lf.with_columns(
        value.alias(value_of(col)), status.otherwise(pl.lit(None, pl.String)).alias(status_of(col))
    )


def add_number(lf: pl.LazyFrame, col: str, dtype: pl.DataType) -> pl.LazyFrame:
    """A float: text or any numeric type; NaN, infinities and non-numbers earn ``bad_number``."""
    if dtype.is_numeric():
        number = pl.col(col).cast(pl.Float64)
    else:
        number = as_text(col).cast(pl.Float64, strict=False)
    value = pl.when(number.is_finite()).then(number)
    status = pl.when(~is_blank(col) & value.is_null()).then(pl.lit("bad_number"))
    return lf.with_columns(
        value.alias(value_of(col)), status.otherwise(pl.lit(None, pl.String)).alias(status_of(col))
    )


def add_date(lf: pl.LazyFrame, col: str, dtype: pl.DataType, tz: str) -> pl.LazyFrame:
    """A calendar date ``YYYY-MM-DD`` (or a Parquet date/datetime); else ``bad_time``."""
    if dtype == pl.Date:
        value = pl.col(col)
    elif isinstance(dtype, pl.Datetime):
        local = pl.col(col).dt.convert_time_zone(tz) if dtype.time_zone else pl.col(col)
        value = local.dt.date()
    else:
        text = as_text(col)
        value = pl.when(text.str.contains(_DATE_RE)).then(
            text.str.to_date("%Y-%m-%d", strict=False)
        )
    status = pl.when(~is_blank(col) & value.is_null()).then(pl.lit("bad_time"))
    return lf.with_columns(
        value.alias(value_of(col)), status.otherwise(pl.lit(None, pl.String)).alias(status_of(col))
    )


def add_instant(lf: pl.LazyFrame, col: str, dtype: pl.DataType, tz: str) -> pl.LazyFrame:
    """An instant, staged in UTC; see the module docstring for the accepted forms."""
    naive_col, offset_col = f"__n__{col}", f"__o__{col}"
    if isinstance(dtype, pl.Datetime) and dtype.time_zone:
        value = pl.col(col).dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        return lf.with_columns(value.alias(value_of(col)), _ok(col))
    if isinstance(dtype, pl.Datetime | pl.Date):
        naive = pl.col(col).cast(pl.Datetime("us"))
        lf = lf.with_columns(naive.alias(naive_col), pl.lit(None, pl.Int32).alias(offset_col))
    else:
        lf = _split_time_text(lf, col, naive_col, offset_col)
    naive, offset = pl.col(naive_col), pl.col(offset_col)
    local = naive.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
    exact = naive.dt.replace_time_zone("UTC") - pl.duration(minutes=offset)
    value = pl.when(offset.is_null()).then(local.dt.convert_time_zone("UTC")).otherwise(exact)
    status = (
        pl.when(is_blank(col))
        .then(pl.lit(None, pl.String))
        .when(naive.is_null() | (offset.abs() > MAX_OFFSET_MINUTES))
        .then(pl.lit("bad_time"))
        .when(value.is_null())
        .then(pl.lit("nonexistent_local_time"))
        .otherwise(pl.lit(None, pl.String))
    )
    return lf.with_columns(
        pl.when(status.is_null()).then(value).alias(value_of(col)), status.alias(status_of(col))
    ).drop(naive_col, offset_col)


def _split_time_text(
    lf: pl.LazyFrame, col: str, naive_col: str, offset_col: str
) -> pl.LazyFrame:
    """Parse text into a naive datetime and an offset in minutes (null: no offset)."""
    parts = f"__g__{col}"
    lf = lf.with_columns(as_text(col).str.extract_groups(_TIME_RE).alias(parts))
    g = pl.col(parts).struct
    canonical = pl.concat_str(
        g.field("d"), pl.lit(" "), g.field("hm"), pl.lit(":"),
        g.field("s").fill_null("00"), g.field("f").fill_null(".0"),
    )
    naive = canonical.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=False)
    off = g.field("o").str.replace(":", "", literal=True)
    sign = pl.when(off.str.starts_with("-")).then(-1).otherwise(1)
    hours = off.str.slice(1, 2).cast(pl.Int32, strict=False)
    minutes = off.str.slice(3, 2).cast(pl.Int32, strict=False).fill_null(0)
    offset = (
        pl.when(off.is_null())
        .then(pl.lit(None, pl.Int32))
        .when(off.str.to_uppercase() == "Z")
        .then(pl.lit(0, pl.Int32))
        .otherwise(sign * (hours * 60 + minutes))
    )
    return lf.with_columns(naive.alias(naive_col), offset.cast(pl.Int32).alias(offset_col)).drop(
        parts
    )
