"""Staff accounts and the login throttle, over the database so every worker agrees.

The throttle counts failed logins per account and per address in the last
:data:`THROTTLE_WINDOW`; at :data:`THROTTLE_LIMIT` the login is refused before the password
is even checked, with the same words whether or not the account exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.access import ADMIN, ROLES
from bot.console.passwords import hash_password, needs_rehash, verify_password
from bot.storage.staff_models import LoginFailure, StaffAccount

#: Failed logins allowed per account, and per address (higher: an office may share one address).
THROTTLE_LIMIT = 5
ADDRESS_LIMIT = 20
THROTTLE_WINDOW = timedelta(minutes=15)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}$")


class AccountError(ValueError):
    """Bad input for an account (the message is bilingual and safe to show)."""


@dataclass(frozen=True, slots=True)
class StaffUser:
    """Who is signed in: what the pages and the audit log need, never the password hash."""

    id: int
    email: str
    role: str
    password_version: str  # changes when the password changes, which ends older sessions


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise AccountError(f"bukan alamat email / not an email address: {email[:80]!r}")
    return email


def _user(account: StaffAccount) -> StaffUser:
    return StaffUser(account.id, account.email, account.role, account.password_changed_at.isoformat())


async def add_account(db: AsyncSession, email: str, role: str, password: str, now: datetime) -> StaffUser:
    """Create an account; raises :class:`AccountError` (or ``WeakPassword``) for bad input."""
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"peran tidak dikenal / unknown role {role!r} (use one of {', '.join(ROLES)})")
    if await db.scalar(select(StaffAccount.id).where(StaffAccount.email == email)) is not None:
        raise AccountError(f"akun sudah ada / the account already exists: {email}")
    account = StaffAccount(email=email, role=role, password_hash=hash_password(password), created_at=now,
                           password_changed_at=now)
    db.add(account)
    await db.flush()
    return _user(account)


async def reset_password(db: AsyncSession, email: str, password: str, now: datetime) -> StaffUser:
    """Give an account a new password, which also ends its open sessions."""
    account = await db.scalar(select(StaffAccount).where(StaffAccount.email == normalise_email(email)))
    if account is None:
        raise AccountError(f"tidak ada akun / no such account: {email}")
    account.password_hash, account.password_changed_at = hash_password(password), now
    await clear_failures(db, account.email, None)
    return _user(account)


async def list_accounts(db: AsyncSession) -> list[tuple[str, str, datetime]]:
    rows = await db.execute(select(StaffAccount.email, StaffAccount.role, StaffAccount.created_at)
                            .order_by(StaffAccount.email))
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def admin_exists(db: AsyncSession) -> bool:
    return await db.scalar(select(StaffAccount.id).where(StaffAccount.role == ADMIN).limit(1)) is not None


async def user_by_id(db: AsyncSession, account_id: int) -> StaffUser | None:
    account = await db.get(StaffAccount, account_id)
    return _user(account) if account is not None else None


async def authenticate(db: AsyncSession, email: str, password: str, address: str, now: datetime) -> StaffUser | None:
    """The account when ``email`` and ``password`` match and neither the account nor the
    address is throttled; otherwise ``None`` (and the failure is counted). Raises
    :class:`Throttled` when too many recent failures came from the account or the address."""
    email = email.strip().lower()[:254]
    keys = (f"account:{email}", f"address:{address}")
    recent = await db.execute(select(LoginFailure.key, func.count()).where(
        LoginFailure.key.in_(keys), LoginFailure.at > now - THROTTLE_WINDOW).group_by(LoginFailure.key))
    if any(count >= (THROTTLE_LIMIT if key.startswith("account:") else ADDRESS_LIMIT) for key, count in recent):
        raise Throttled()
    account = await db.scalar(select(StaffAccount).where(StaffAccount.email == email))
    if not verify_password(account.password_hash if account else None, password):
        db.add_all([LoginFailure(key=key, at=now) for key in keys])
        return None
    assert account is not None  # verify_password is False without an account
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    await clear_failures(db, email, now - THROTTLE_WINDOW)
    return _user(account)


async def clear_failures(db: AsyncSession, email: str, before: datetime | None) -> None:
    """Forget the account's failures (all, or those older than ``before`` as well as its own)."""
    await db.execute(delete(LoginFailure).where(LoginFailure.key == f"account:{email}"))
    if before is not None:
        await db.execute(delete(LoginFailure).where(LoginFailure.at <= before))


class Throttled(Exception):
    """Too many failed logins for this account or from this address: wait, then try again."""
