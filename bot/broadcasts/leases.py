"""Leases on channel credentials: one dispatcher at a time owns a credential's sending rate.

A lease is one ``channel_leases`` row per credential (``telegram:<bot id>``,
``whatsapp:<phone number id>``). Taking or renewing it is a single conditional ``UPDATE``
(``… WHERE holder = me OR expires_at < now``): PostgreSQL runs concurrent updates of one row one
after the other and re-checks the condition for the second, so two dispatchers can never both
win; the first ever holder ``INSERT``s the row, and the primary key turns a second insert into a
loss. The holder renews every third of the timeout; one that stops renewing (killed, frozen, cut
off from the database) loses the lease when ``expires_at`` passes, and another takes over.
Times come from the dispatchers' clocks, so hosts must keep them in sync (NTP); a lease timeout
of seconds leaves room for ordinary skew. On SQLite writes are serialised, which is enough for
the one dispatcher SQLite supports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from bot.storage.campaign_models import ChannelLease

log = logging.getLogger("suara.leases")


def channel_credentials(settings: Settings) -> dict[str, str]:
    """The lease name of each configured messaging channel's credential, by channel."""
    credentials: dict[str, str] = {}
    if settings.telegram_token is not None:
        credentials["telegram"] = "telegram:" + settings.telegram_token.get_secret_value().split(":", 1)[0]
    if settings.whatsapp_enabled:
        credentials["whatsapp"] = f"whatsapp:{settings.whatsapp_phone_number_id}"
    return credentials


class Leases:
    """Takes, renews and gives back credential leases for one ``holder``."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], holder: str, timeout: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions, self.holder, self._clock = sessions, holder, clock
        self.timeout = timedelta(seconds=timeout)

    async def hold(self, credential: str) -> datetime | None:
        """Take or renew ``credential``: its new expiry if this holder owns it now, else ``None``."""
        now = self._clock()
        expires = now + self.timeout
        async with self._sessions() as db, db.begin():
            taken = await db.execute(
                update(ChannelLease)
                .where(ChannelLease.credential == credential,
                       or_(ChannelLease.holder == self.holder, ChannelLease.expires_at < now))
                .values(holder=self.holder, expires_at=expires, renewed_at=now)
            )
            if taken.rowcount == 1:
                return expires
        try:
            async with self._sessions() as db, db.begin():
                db.add(ChannelLease(credential=credential, holder=self.holder, expires_at=expires, renewed_at=now))
        except IntegrityError:
            return None  # another holder's lease, not yet expired
        log.info("lease_taken", extra={"credential": credential, "holder": self.holder})
        return expires

    async def release(self, credential: str) -> None:
        """Give ``credential`` back now, so another dispatcher need not wait for the timeout."""
        now = self._clock()
        async with self._sessions() as db, db.begin():
            await db.execute(update(ChannelLease)
                             .where(ChannelLease.credential == credential, ChannelLease.holder == self.holder)
                             .values(expires_at=now - timedelta(microseconds=1)))

    async def holder_of(self, credential: str) -> str | None:
        """Who holds ``credential`` now (``None`` when nobody or the lease has expired)."""
        async with self._sessions() as db:
            lease = await db.get(ChannelLease, credential)
        return lease.holder if lease is not None and lease.expires_at >= self._clock() else None
