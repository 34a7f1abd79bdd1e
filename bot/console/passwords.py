"""Staff passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
_HASHER = PasswordHasher()
# Verified when the account does not exist, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("suara-no-such-account-placeholder")


class WeakPassword(ValueError):
    """A password we refuse; the message is for the person choosing it (Indonesian / English)."""


def hash_password(password: str) -> str:
    """The argon2 hash of ``password`` after checking it is strong enough."""
    check_strength(password)
    return _HASHER.hash(password)


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"kata sandi minimal {MIN_LENGTH} karakter / the password needs at least {MIN_LENGTH} characters")
    if len(set(password)) < 5:
        raise WeakPassword("kata sandi terlalu sederhana / the password is too simple (use more different characters)")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; ``None`` (no such account) is checked against a dummy."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)
