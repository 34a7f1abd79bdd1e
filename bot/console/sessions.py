"""The staff session: an encrypted cookie (aiohttp-session) holding who is signed in, when
they were last seen, their CSRF token, language and flash messages.

The cookie is ``Secure``, ``HttpOnly``, ``SameSite=Strict`` and scoped to ``/console``. A new
session (and CSRF token) is issued at sign-in, so a token seen before signing in is worthless
after; a session unused for ``SUARA_CONSOLE_IDLE_MINUTES`` ends, and so do all of an account's
sessions when its password changes.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from aiohttp import web
from aiohttp_session import Session, get_session, new_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from bot.console.accounts import StaffUser

COOKIE_NAME = "suara_console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LANGUAGES = ("id", "en")


def cookie_storage(key: bytes, idle_seconds: int) -> EncryptedCookieStorage:
    return EncryptedCookieStorage(key, cookie_name=COOKIE_NAME, path="/console", secure=True, httponly=True,
                                  samesite="Strict", max_age=idle_seconds)


def csrf_token(session: Session) -> str:
    """The session's CSRF token, created on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def csrf_ok(session: Session, given: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and given) and hmac.compare_digest(str(expected).encode(), str(given).encode())


async def sign_in(request: web.Request, user: StaffUser, now: datetime) -> None:
    """Start a new session for ``user`` (a new cookie and a new CSRF token; the language stays)."""
    language = (await get_session(request)).get("lang")
    session = await new_session(request)
    session.update({"uid": user.id, "pwv": user.password_version, "seen": now.timestamp(),
                    "csrf": secrets.token_urlsafe(32)})
    if language:
        session["lang"] = language


async def sign_out(request: web.Request) -> None:
    (await get_session(request)).invalidate()


def signed_in_as(session: Session) -> tuple[int, str, float] | None:
    """(account id, password version, last seen) of a signed-in session, else ``None``."""
    if "uid" not in session:
        return None
    return int(session["uid"]), str(session.get("pwv", "")), float(session.get("seen", 0))


def still_valid(session: Session, user: StaffUser | None, now: datetime, idle_seconds: int) -> bool:
    """Whether a signed-in session may go on: the account exists, its password has not changed
    since, and the session has not been idle too long. Marks it seen when it may."""
    known = signed_in_as(session)
    if known is None or user is None or known[1] != user.password_version or now.timestamp() - known[2] > idle_seconds:
        return False
    session["seen"] = now.timestamp()
    return True


def flash(session: Session, text_key: str, kind: str = "ok", **values: str) -> None:
    """Show the text ``text_key`` (with ``values``) once on the next page."""
    session["flash"] = [*session.get("flash", []), [kind, text_key, values]]


def pop_flashes(session: Session) -> list[tuple[str, str, dict[str, str]]]:
    return [tuple(item) for item in session.pop("flash", [])]  # type: ignore[misc]


def language(session: Session, default: str) -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else default
