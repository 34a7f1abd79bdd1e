"""The staff console, served by ``suara serve`` under ``/console/`` (see README.md here)."""

from __future__ import annotations

from bot.console.setup import setup

__all__ = ["setup"]
