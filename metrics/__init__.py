"""Pure Polars functions computing the measures of CONTRACT.md sections 3 to 5 and 7.

Importing this package (``pipelines`` imports it first) sets Polars' allocator options
before Polars loads, unless ``_RJEM_MALLOC_CONF`` is already set: Polars returns freed
memory to the system after half a second by default, and the day grid, which frees and
reallocates the same buffers once per batch of providers, then spends a sixth of its time
in the kernel faulting them back in. Keeping freed pages for ten seconds made the day
grid of 30 million events about 15% faster at the same peak memory
(docs/performance.md, "The day grid", item 8).
"""

import os

#: jemalloc options Polars appends to its own (``polars/__init__.py`` reads this variable).
POLARS_ALLOCATOR = "dirty_decay_ms:10000,muzzy_decay_ms:10000"

os.environ.setdefault("_RJEM_MALLOC_CONF", POLARS_ALLOCATOR)
