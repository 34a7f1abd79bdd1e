"""Where the workplace's shared public datasets are, for the tests that read real third-party files.

``SUARA_SHARED_DIR`` if set, else the nearest ``shared/`` folder beside the checkout or one of its
parents (``../shared`` in a normal checkout). With ``CI=true`` a missing file fails the test
instead of skipping it, so CI never passes without having read the real files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    configured = os.environ.get("SUARA_SHARED_DIR")
    if configured:
        return Path(configured)
    for parent in ROOT.parents:
        if (parent / "shared" / "datasets").is_dir():
            return parent / "shared"
    return ROOT.parent / "shared"


def shared_file(*parts: str) -> Path:
    """The path of a shared dataset file; skips the test (fails it with CI=true) when it is missing."""
    path = shared_dir().joinpath("datasets", *parts)
    if not path.exists():
        message = f"no shared dataset file at {path} (set SUARA_SHARED_DIR to the folder holding datasets/)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
