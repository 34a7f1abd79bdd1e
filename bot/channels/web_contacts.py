"""The web chat's contact ids: issued by the server, checked without a database lookup.

An id is 22 random url-safe characters (16 bytes from :mod:`secrets`) followed by 22 characters
of an HMAC-SHA256 of them under the server's key (truncated to 16 bytes): 44 characters in all.
Why signed rather than stored: every page visit may ask for an id, and storing one per visit
would let crawlers grow a table; a signature costs no write, no read per message, works on
every worker that shares the key, and keeps working after a restart because the key is kept
(:mod:`bot.storage.shared_keys`). What it cannot do is revoke one id; rotating the key retires
them all (the widget then asks for a new one by itself).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_RANDOM_BYTES = 16
_RANDOM_CHARS = 22  # len(token_urlsafe(16))
_PURPOSE = b"suara web contact id\x00"


def issue(key: bytes) -> str:
    """A new contact id signed with ``key``."""
    random_part = secrets.token_urlsafe(_RANDOM_BYTES)
    return random_part + _mac(key, random_part)


def issued(key: bytes, contact: str) -> bool:
    """True when ``contact`` is an id :func:`issue` made with ``key`` (constant-time compare)."""
    if len(contact) != 2 * _RANDOM_CHARS:
        return False
    random_part, mac = contact[:_RANDOM_CHARS], contact[_RANDOM_CHARS:]
    return hmac.compare_digest(_mac(key, random_part), mac)


def _mac(key: bytes, random_part: str) -> str:
    digest = hmac.new(key, _PURPOSE + random_part.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
