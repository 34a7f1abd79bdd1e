"""Segment queries: staff pick voters with a small query language, in the spirit of RapidPro's
contact queries::

    region = "Samarinda" AND issue = environment AND first_time_voter = yes
    NOT (zone = WIB OR zone = WIT)
    last_seen < 30d AND source ~ "poster"

This package is the pure core: :func:`parse` turns text into a typed tree (:class:`Query` of
:class:`Clause`, :class:`And`, :class:`Or`, :class:`Not`), :func:`matches` and :func:`explain`
evaluate it over one voter's :class:`ContactFacts` at a given time. No database, network or
clock: ``bot`` compiles the same tree to SQL. The language for staff is in ``README.md``.
"""

from __future__ import annotations

from .errors import SegmentQueryError
from .evaluate import ClauseResult, explain, matches
from .facts import ContactFacts, PollingStationFacts
from .fields import FIELDS, OPERATORS, ZONE_TIMEZONES, FieldSpec, Kind
from .nodes import And, Clause, Node, Not, Or, Query, Value
from .parse import MAX_DEPTH, MAX_LENGTH, parse

__all__ = [
    "FIELDS", "MAX_DEPTH", "MAX_LENGTH", "OPERATORS", "ZONE_TIMEZONES",
    "And", "Clause", "ClauseResult", "ContactFacts", "FieldSpec", "Kind", "Node", "Not", "Or",
    "PollingStationFacts", "Query", "SegmentQueryError", "Value",
    "explain", "matches", "parse",
]
