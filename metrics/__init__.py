"""Pure Polars functions computing the measures of CONTRACT.md sections 3 to 5 and 7."""
