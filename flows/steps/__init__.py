"""The step types of the flow language, one module each (see ``flows/README.md``)."""

from __future__ import annotations

from types import ModuleType

from . import action, ask, branch, end, goto, say, set

STEP_TYPES: dict[str, ModuleType] = {module.KEY: module for module in (say, ask, branch, set, action, goto, end)}
