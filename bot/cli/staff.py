"""``suara staff add|reset|list|demo-admin``: console accounts from the command line.

The first admin is made here, never by a default password. Passwords are asked twice on a
terminal or read from standard input (``--password-stdin``); they are never printed, logged or
stored, only their argon2 hash — except the demo admin's random password, printed once.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import Commands, in_transaction, migrate
from bot.console.access import ADMIN, ROLES
from bot.console.accounts import AccountError, add_account, admin_exists, list_accounts, reset_password
from bot.console.audit import record
from bot.console.passwords import WeakPassword, check_strength
from bot.settings import Settings

T = TypeVar("T")

DEMO_ADMIN = "demo-admin@suara.local"


def register(commands: Commands) -> None:
    """Add the ``staff`` commands to the ``suara`` parser."""
    staff = commands.add_parser("staff", help="staff console accounts: add, reset a password, list")
    sub = staff.add_subparsers(title="staff commands")
    add = sub.add_parser("add", help="create an account (asks for the password twice)")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=ROLES, help="what the account may do in the console")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(run=_add)
    reset = sub.add_parser("reset", help="give an account a new password (ends its open sessions)")
    reset.add_argument("email")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    reset.set_defaults(run=_reset)
    listing = sub.add_parser("list", help="list the accounts and their roles")
    listing.set_defaults(run=_list)
    demo = sub.add_parser("demo-admin", help=f"create {DEMO_ADMIN} with a random password printed once "
                          "(only when no admin exists)")
    demo.set_defaults(run=_demo_admin)


def _add(settings: Settings, args: argparse.Namespace) -> int:
    password = _password(args.password_stdin)
    if password is None:
        return 2
    user = _run(settings, lambda db, now: _added(db, args.email, args.role, password, now))
    if user is None:
        return 2
    print(f"suara: account {user} created")
    return 0


async def _added(db: AsyncSession, email: str, role: str, password: str, now: datetime) -> str:
    user = await add_account(db, email, role, password, now)
    record(db, "cli", "staff_account_added", f"staff:{user.email}", now, role=role)
    return user.email


def _reset(settings: Settings, args: argparse.Namespace) -> int:
    password = _password(args.password_stdin)
    if password is None:
        return 2
    user = _run(settings, lambda db, now: _was_reset(db, args.email, password, now))
    if user is None:
        return 2
    print(f"suara: new password set for {user}; its open sessions have ended")
    return 0


async def _was_reset(db: AsyncSession, email: str, password: str, now: datetime) -> str:
    user = await reset_password(db, email, password, now)
    record(db, "cli", "staff_password_reset", f"staff:{user.email}", now)
    return user.email


def _list(settings: Settings, args: argparse.Namespace) -> int:
    rows = _run(settings, lambda db, now: list_accounts(db)) or []
    for email, role, created in rows:
        print(f"{email:<40} {role:<11} {created:%Y-%m-%d}")
    if not rows:
        print("suara: no accounts yet (suara staff add EMAIL --role admin)", file=sys.stderr)
    return 0


def _demo_admin(settings: Settings, args: argparse.Namespace) -> int:
    password = secrets.token_urlsafe(12)

    async def create(db: AsyncSession, now: datetime) -> bool:
        if await admin_exists(db):
            return False
        await _added(db, DEMO_ADMIN, ADMIN, password, now)
        return True

    created = _run(settings, create)
    if created:
        print(f"Konsol staf / staff console: http://{settings.host}:{settings.port}/console/\n"
              f"  email: {DEMO_ADMIN}\n  kata sandi / password: {password}\n"
              "  (ditampilkan sekali ini saja / shown only this once)")
    return 0


def _password(from_stdin: bool) -> str | None:
    """The new password, from standard input or asked twice; ``None`` after a one-line error."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            print("suara: no terminal to ask for the password (use --password-stdin)", file=sys.stderr)
            return None
        password = getpass.getpass("Kata sandi / password: ")
        if getpass.getpass("Ulangi / again: ") != password:
            print("suara: kata sandi tidak sama / the passwords differ", file=sys.stderr)
            return None
    try:
        check_strength(password)
    except WeakPassword as exc:
        print(f"suara: {exc}", file=sys.stderr)
        return None
    return password


def _run(settings: Settings, work: Callable[[AsyncSession, datetime], Awaitable[T]]) -> T | None:
    """Migrate, then run ``work`` in one transaction; bad input is one line on standard error."""
    migrate(settings)
    try:
        return asyncio.run(in_transaction(settings, work))
    except (AccountError, WeakPassword) as exc:
        print(f"suara: {exc}", file=sys.stderr)
        return None

