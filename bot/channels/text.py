"""Fitting reply text into a platform's message size."""

from __future__ import annotations


def split_text(text: str, limit: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, preferring paragraph breaks.

    Paragraphs (blank-line separated) are packed greedily; a paragraph longer than ``limit`` is
    cut at its last line break, then its last space, before the limit, and only as a last resort
    in the middle of a word.
    """
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while len(paragraph) > limit:
            cut = max(paragraph.rfind("\n", 0, limit + 1), paragraph.rfind(" ", 0, limit + 1))
            cut = cut if cut > 0 else limit
            pieces.append(paragraph[:cut].rstrip())
            paragraph = paragraph[cut:].lstrip()
        current = paragraph
    if current:
        pieces.append(current)
    return pieces
