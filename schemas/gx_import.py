"""Importing Great Expectations without the modules its import loads for nothing.

GX's own import loads ``scipy.stats`` (through its distribution expectations, such as
``expect_column_kl_divergence_to_be_less_than``), a third of GX's import time, although
only those expectations ever call it and no suite of this project uses them. Before the
first import of GX, :func:`import_gx` registers the modules of :data:`DEFERRED` with the
standard library's :class:`importlib.util.LazyLoader`: such a module is loaded when one
of its attributes is first used, by GX or by anything else, and works as usual from
then on. GX's import fell from 2.2 s to 1.6 s (docs/performance.md, "Fixed costs").
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

#: Submodules loaded when first used rather than when GX is imported.
DEFERRED = ("scipy.stats",)


def defer(name: str) -> None:
    """Load the submodule ``name`` only when one of its attributes is first used.

    Nothing is done when it is loaded already or cannot be found. The module is also
    set as an attribute of its parent package, so that ``from parent import child``
    finds it without the import machinery, which would load it.
    """
    if name in sys.modules:
        return
    parent, _, child = name.rpartition(".")
    if not parent:
        return
    try:
        spec = importlib.util.find_spec(name)  # imports the parent package
    except ModuleNotFoundError:  # the parent package is not installed
        return
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    setattr(sys.modules[parent], child, module)


def import_gx() -> ModuleType:
    """The ``great_expectations`` module, imported with :data:`DEFERRED` deferred when
    this is its first import."""
    if "great_expectations" not in sys.modules:
        for name in DEFERRED:
            defer(name)
    import great_expectations

    return great_expectations
