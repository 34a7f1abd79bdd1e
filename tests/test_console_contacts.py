"""The contacts pages over HTTP against the real server, on SQLite and PostgreSQL: a segment
search with paging, bad queries shown at their position with a suggestion (never a 500), a
voter's page with signals and their evidence, consent history and reminders, and the erasure:
admins only, with CSRF and a confirmation, removing the voter's data and audited."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.conversation.loop import utcnow
from bot.settings import Settings
from bot.storage.models import AuditEntry, Contact, Message, SegmentSignal
from broadcast_seed import add_contact
from tests.console_client import Staff
from tests.console_seed import signed_in, HOSTILE, add_campaign_rows, add_consent, add_messages, count, database


@pytest.fixture
async def clients(server: str, settings: Settings) -> AsyncIterator[dict[str, Staff]]:
    found = {}
    for role in ("admin", "agent", "campaigner", "viewer"):
        found[role] = await signed_in(server, settings, role)
    yield found
    for client in found.values():
        await client.close()


async def seed_voters(settings: Settings) -> int:
    """27 voters in WITA (Samarinda), 3 in WIB; one hostile voter with everything; its id."""
    now = utcnow()
    async with database(settings) as db:
        for n in range(27):
            await add_contact(db, timezone="Asia/Makassar", region="64.72", signals={"issue": ["jobs"]} if n < 5 else None,
                              last_seen_at=now)
        for _ in range(3):
            await add_contact(db, region="31.71", last_seen_at=now)
        voter = await add_contact(db, region="64.72", timezone="Asia/Makassar", last_seen_at=now,
                                  evidence=HOSTILE[0] + " saya pemilih pemula", signals={
                                      "first_time_voter": ["yes"], "issue": [HOSTILE[1]]})
        add_messages(db, voter, HOSTILE, now)
        add_messages(db, voter, ["Jawaban bot"], now, direction="out")
        add_consent(db, voter, "granted", now)
        await add_campaign_rows(db, "pilkada-uji", [(voter, "delivered")], now)
    return voter


async def test_segment_search_pages_and_shows_bad_queries_at_their_position(
    clients: dict[str, Staff], settings: Settings
) -> None:
    await seed_voters(settings)
    agent = clients["agent"]
    response, body = await agent.get("/console/contacts")
    assert response.status == 200 and "31 kontak" in body
    response, body = await agent.get("/console/contacts?q=zone+%3D+WITA")
    assert response.status == 200 and "28 kontak" in body
    assert body.count('href="/console/contacts/') == 25 and "?q=zone+%3D+WITA&amp;page=2" in body
    _, second = await agent.get("/console/contacts?q=zone+%3D+WITA&page=2")
    assert second.count('href="/console/contacts/') == 3
    _, body = await agent.get("/console/contacts?q=zone+%3D+WITA+AND+issue+%3D+jobs")
    assert "5 kontak" in body

    response, body = await agent.get("/console/contacts?q=zone+%3D+WITAA")
    assert response.status == 422 and 'role="alert"' in body
    assert "posisi 8" in body and "WITA" in re.search(r"Maksud Anda:.*?</p>", body, re.S).group(0)
    assert "<mark>W</mark>" in body
    for bad in ("region =", "zone = WITA AND (", "negara = 1", "a" * 3000, "\u202e", "@tidak-ada"):
        response, body = await agent.get("/console/contacts", params={"q": bad})
        assert response.status == 422, (bad, response.status)
        assert 'role="alert"' in body
    # The language switch words the problem in English.
    await agent.post("/console/lang", {"lang": "en", "next": "/console/contacts"})
    _, body = await agent.get("/console/contacts?q=zone+%3D+WITAA")
    assert "position 8" in body and "Did you mean" in body


async def test_contact_page_shows_fields_signals_evidence_consent_and_reminders(
    clients: dict[str, Staff], settings: Settings
) -> None:
    voter = await seed_voters(settings)
    response, body = await clients["campaigner"].get(f"/console/contacts/{voter}")
    assert response.status == 200
    assert "first_time_voter" in body and "saya pemilih pemula" in body and "rule:test" in body
    assert "granted" in body and "v-test" in body
    assert "pilkada-uji" in body and "h-1" in body and "sampai" in body
    assert "<script>window" not in body and "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in body
    assert "<img src=x" not in body and not re.search(r"""href\s*=\s*["']?\s*javascript:""", body, re.I)
    assert "\u202e" not in body and "[U+202E]" in body
    assert "Hapus data pemilih" not in body  # only admins see the erase link
    response, _ = await clients["viewer"].get(f"/console/contacts/{voter}")
    assert response.status == 403
    response, _ = await clients["agent"].get("/console/contacts/999999")
    assert response.status == 302 and response.headers["Location"] == "/console/contacts"


async def test_erasure_is_admin_only_needs_csrf_and_confirmation_and_is_audited(
    clients: dict[str, Staff], settings: Settings
) -> None:
    voter = await seed_voters(settings)
    path = f"/console/contacts/{voter}/erase"
    admin = clients["admin"]
    response, body = await admin.get(f"/console/contacts/{voter}")
    assert f'href="{path}"' in body
    for role in ("agent", "campaigner"):
        response, _ = await clients[role].post(path, {"confirm": str(voter)})
        assert response.status == 403
        response, _ = await clients[role].get(path)
        assert response.status == 403
    response, _ = await admin.post(path, {"confirm": str(voter)}, csrf=None)
    assert response.status == 403
    response, body = await admin.get(path)
    assert response.status == 200 and 'name="confirm"' in body
    response, body = await admin.post(path, {"confirm": "12345678"})
    assert response.status == 422 and "tidak cocok" in body
    response, _ = await admin.post(path, {})
    assert response.status == 422
    assert await count(settings, Message, Message.contact_id == voter) == 6

    response, _ = await admin.post(path, {"confirm": str(voter)})
    assert response.status == 302 and response.headers["Location"] == f"/console/contacts/{voter}"
    assert await count(settings, Message, Message.contact_id == voter) == 0
    assert await count(settings, SegmentSignal, SegmentSignal.contact_id == voter) == 0
    async with database(settings) as db:
        contact = await db.get(Contact, voter)
        assert contact is not None and contact.region is None and contact.consent is None
        actions = {(e.actor, e.action) for e in await db.scalars(
            select(AuditEntry).where(AuditEntry.subject == f"contact:{voter}"))}
    assert ("staff:admin@suara.test", "contact_erased") in actions
    assert (f"contact:{voter}", "data_erased") in actions
    _, body = await admin.get(f"/console/contacts/{voter}")
    assert "sudah dihapus" in body and "__pwned" not in body
    _, audit = await admin.get("/console/audit?action=contact_erased")
    assert "staff:admin@suara.test" in audit and f"contact:{voter}" in audit


def test_the_audit_log_can_be_read_but_never_changed_from_the_console() -> None:
    from pathlib import Path

    from bot.console.access import ACCESS
    from bot.console.setup import PAGES

    audit_routes = [(route.method, route.kwargs["name"]) for table in PAGES for route in table
                    if route.kwargs["name"].startswith("audit.")]
    assert audit_routes == [("GET", "audit.list")] and ACCESS["audit.list"] == {"admin"}
    for source in Path("bot/console").glob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert not re.search(r"(update|delete)\(AuditEntry", text), f"{source} changes the audit log"
