"""The console's locks: every route × every role, CSRF on every form, the session cookie,
login throttling, passwords kept out of logs and the database, voter text always escaped.

Plain HTTP against the real application on 127.0.0.1, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.cli.main import main as suara
from bot.console.access import ACCESS, PUBLIC, ROLES
from bot.console.setup import PAGES
from bot.conversation.loop import utcnow
from bot.settings import Settings
from bot.storage.engine import create_engine, session_factory
from bot.storage.models import Contact, UnansweredQuestion
from bot.storage.staff_models import StaffAccount
from tests.console_client import PASSWORD, Staff, faq_copy, make_account

#: A real value for each path placeholder of a console route.
SAMPLE_PARTS = {"entry_id": "tentang-bot", "flow_id": "find_tps", "contact_id": "1", "campaign_id": "pilkada-2024", "chart": "messages", "conversation_id": "1", "canned_id": "1"}
HOSTILE = ["<script>alert(1)</script>", '<img src=x onerror=alert(1)>', '<a href="javascript:alert(1)">klik</a>',
           "tps saya \u202egnp.exe di mana"]


def console_routes() -> list[tuple[str, str, str]]:
    """(method, path, name) of every console route, as mounted under /console."""
    found = [("GET", "/console/static/console.css", "static")]
    for table in PAGES:
        for route in table:
            path = route.path
            for part, value in SAMPLE_PARTS.items():
                path = path.replace("{" + part + "}", value)
            found.append((route.method, "/console" + path.rstrip("/") if path != "/" else "/console/",
                          route.kwargs["name"]))
    # Signing out ends the session: it goes last.
    return sorted(found, key=lambda r: r[2] == "logout")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, faq_dir=faq_copy(tmp_path), _env_file=None)


@pytest.fixture
async def staff(server: str, settings: Settings) -> AsyncIterator[dict[str, Staff]]:
    """A signed-in client per role, and ``None`` for a visitor with no session."""
    clients: dict[str, Staff] = {}
    for role in ROLES:
        await make_account(settings, f"{role}@suara.test", role)
        clients[role] = Staff(server)
        assert (await clients[role].login(f"{role}@suara.test")).status == 302
    clients["none"] = Staff(server)
    yield clients
    for client in clients.values():
        await client.close()


def test_every_route_is_in_the_access_table() -> None:
    names = {name for _, _, name in console_routes()}
    assert names <= set(ACCESS), f"routes without an access rule: {sorted(names - set(ACCESS))}"
    assert set(ACCESS) <= names, f"access rules for no route: {sorted(set(ACCESS) - names)}"


async def test_each_route_answers_each_role_as_the_access_table_says(staff: dict[str, Staff]) -> None:
    wrong = []
    for method, path, name in console_routes():
        for who, client in staff.items():
            if method == "GET":
                response, _ = await client.get(path)
            else:
                response, _ = await client.post(path)
            may = ACCESS[name] is PUBLIC or who in ACCESS[name]
            if who == "none" and not may:
                expected = "redirect to login" if method == "GET" else "403"
                ok = (response.status == 302 and response.headers["Location"].startswith("/console/login")
                      if method == "GET" else response.status == 403)
            elif may:  # reached the handler (a failed or throttled login is the handler's answer)
                expected, ok = "allowed", response.status not in (403, 404, 405, 500)
            else:
                expected, ok = "403", response.status == 403
            if not ok:
                wrong.append(f"{method} {path} as {who}: {response.status}, expected {expected}")
    assert not wrong, "\n".join(wrong)


async def test_every_form_refuses_a_missing_or_wrong_csrf_token(staff: dict[str, Staff]) -> None:
    wrong = []
    for method, path, name in console_routes():
        if method != "POST":
            continue
        client = staff["admin"] if ACCESS[name] is PUBLIC or "admin" in ACCESS[name] else staff[next(iter(ACCESS[name]))]
        for token in (None, "", "x" * 43, client.token[:-1] + ("A" if client.token[-1] != "A" else "B")):
            response, body = await client.post(path, {"email": "admin@suara.test", "password": PASSWORD}, csrf=token)
            if response.status != 403:
                wrong.append(f"POST {path} with token {token!r}: {response.status}")
    assert not wrong, "\n".join(wrong)
    # The header works as well as the field, and only with the right token.
    response, _ = await staff["admin"].post("/console/lang", {"lang": "en"}, csrf=None)
    assert response.status == 403


async def test_session_cookie_is_secure_httponly_strict_and_renewed_at_login(server: str, settings: Settings) -> None:
    await make_account(settings, "editor@suara.test", "editor")
    client = Staff(server)
    try:
        response, _ = await client.get("/console/login")
        cookie = response.headers["Set-Cookie"]
        for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/console"):
            assert flag.lower() in cookie.lower(), f"{flag} missing from {cookie}"
        before_token = client.token
        before_cookie = cookie.split(";")[0]
        response, _ = await client.post("/console/login", {"email": "editor@suara.test", "password": PASSWORD})
        assert response.status == 302
        after = response.headers["Set-Cookie"]
        assert after.split(";")[0] != before_cookie and "secure" in after.lower()
        # The token from before signing in is worthless now.
        response, _ = await client.post("/console/lang", {"lang": "en"}, csrf=before_token)
        assert response.status == 403
        response, body = await client.get("/console/knowledge")
        assert response.status == 200
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert "<script>" not in body and 'src="/console/static/console.js"' in body
    finally:
        await client.close()


async def test_login_is_throttled_per_account_and_per_address_without_saying_if_it_exists(
    server: str, settings: Settings
) -> None:
    await make_account(settings, "editor@suara.test", "editor")
    client = Staff(server)
    try:
        await client.get("/console/login")
        for _ in range(5):
            response, body = await client.post("/console/login", {"email": "editor@suara.test", "password": "wrong guess"})
            assert response.status == 401 and "Email atau kata sandi salah" in body
        # The right password now waits too; so does an account that does not exist, in the same words.
        response, body = await client.post("/console/login", {"email": "editor@suara.test", "password": PASSWORD})
        assert response.status == 429 and "Tunggu 15 menit" in body
        for _ in range(5):
            await client.post("/console/login", {"email": "nobody@suara.test", "password": "wrong guess"})
        response, unknown = await client.post("/console/login", {"email": "nobody@suara.test", "password": "x"})
        assert response.status == 429 and _problem(unknown) == _problem(body)
        # Other accounts from the same address still get in, until the address has failed too often.
        await make_account(settings, "agent@suara.test", "agent")
        other = Staff(server)
        assert (await other.login("agent@suara.test")).status == 302
        await other.close()
        for n in range(10):
            await client.post("/console/login", {"email": f"guess{n}@suara.test", "password": "wrong guess"})
        response, _ = await client.post("/console/login", {"email": "agent@suara.test", "password": PASSWORD})
        assert response.status == 429
    finally:
        await client.close()


def _problem(body: str) -> str:
    return re.search(r'role="alert">([^<]*)<', body).group(1)  # type: ignore[union-attr]


async def test_passwords_never_reach_the_logs_or_the_database_in_clear(
    server: str, settings: Settings, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "sangat-rahasia-Kata-Sandi-42"
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("SUARA_DATABASE_URL", settings.database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    assert await asyncio.to_thread(suara, ["staff", "add", "Admin@Suara.test", "--role", "admin", "--password-stdin"]) == 0
    client = Staff(server)
    try:
        assert (await client.login("admin@suara.test", secret)).status == 302
        await client.get("/console/login")
        await client.post("/console/login", {"email": "admin@suara.test", "password": secret + "x"})
    finally:
        await client.close()
    printed = capsys.readouterr()
    assert secret not in caplog.text and secret not in printed.out + printed.err
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as db:
            stored = (await db.scalars(select(StaffAccount.password_hash))).all()
            rows = [(await db.execute(text(f"SELECT * FROM {table}"))).all()
                    for table in ("staff_accounts", "audit_log", "login_failures")]
    finally:
        await engine.dispose()
    assert stored and all(h.startswith("$argon2id$") for h in stored)
    assert secret not in str(rows)


async def test_weak_passwords_are_refused_by_the_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SUARA_DATABASE_URL", settings.database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("short-pass\n"))
    assert suara(["staff", "add", "a@suara.test", "--role", "admin", "--password-stdin"]) == 2
    assert "12" in capsys.readouterr().err


async def test_hostile_voter_text_is_shown_escaped_in_the_unanswered_queue(
    server: str, settings: Settings
) -> None:
    await _queue_questions(settings, HOSTILE)
    await make_account(settings, "agent@suara.test", "agent")
    client = Staff(server)
    try:
        await client.login("agent@suara.test")
        response, body = await client.get("/console/unanswered")
    finally:
        await client.close()
    assert response.status == 200
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", body, re.I)
    assert "\u202e" not in body and "[U+202E]" in body


async def _queue_questions(settings: Settings, questions: list[str]) -> None:
    engine = create_engine(settings)
    now = utcnow()
    try:
        async with session_factory(engine)() as db:
            contact = Contact(language="id", timezone="Asia/Jakarta", opted_out=False, needs_human=False,
                              created_at=now, last_seen_at=now)
            db.add(contact)
            await db.flush()
            for question in questions:
                db.add(UnansweredQuestion(contact_id=contact.id, question=question, status="open", created_at=now,
                                          candidates=[{"entry_id": "tentang-bot", "score": 0.41}]))
            await db.commit()
    finally:
        await engine.dispose()
