"""What the bot knows: curated FAQ entries and the hybrid index that finds an answer, asks
which of two entries was meant, or abstains.

Pure: reads only its own content files; the caller passes the encoder, time and region.
"""

from __future__ import annotations

from .base import KnowledgeBase, content_hash, documents_for
from .calibration import Calibration
from .decision import OUT_OF_SCOPE, DecisionRule
from .faq_loader import FAQ_DIR, FaqFormatError, load_faq, load_out_of_scope
from .retrieval import Document, HybridIndex
from .tps import Nearby, ParsedFile, PollingStation, RejectedRow, TpsFileError, TpsIndex, haversine_km, parse_csv
from .types import Abstain, Answer, Candidate, Clarify, FaqEntry, Source

__all__ = [
    "FAQ_DIR",
    "OUT_OF_SCOPE",
    "Abstain",
    "Answer",
    "Calibration",
    "Candidate",
    "Clarify",
    "DecisionRule",
    "Document",
    "FaqEntry",
    "FaqFormatError",
    "HybridIndex",
    "KnowledgeBase",
    "Nearby",
    "ParsedFile",
    "PollingStation",
    "RejectedRow",
    "Source",
    "content_hash",
    "documents_for",
    "load_faq",
    "load_out_of_scope",
    "TpsFileError",
    "TpsIndex",
    "haversine_km",
    "parse_csv",
]
