"""The flow editor over HTTP against the real server, on SQLite and PostgreSQL: check shows a
problem at its line and changes nothing; publish is live for new web-chat voters while a running
conversation stays on its version; history, rollback, CSRF; the simulator plays the draft and
writes nothing to voters' tables; hostile YAML gets a clear answer, never a 500."""

from __future__ import annotations

import html
import re

import pytest
from aiohttp import ClientSession
from sqlalchemy import func, select

from bot.settings import Settings
from bot.storage.engine import create_engine, session_factory
from bot.storage.models import (
    AuditEntry, ChannelIdentity, Contact, ConversationSession, FlowVersion, InboundReceipt, Message,
)
from dbread import rows
from tests.console_client import Staff
from tests.console_seed import signed_in_as
from webchat import WebVoter

EDIT = "/console/flows/find_tps"
OLD_QUESTION = "Di kelurahan/desa mana Anda terdaftar"
NEW_QUESTION = "VERSI BARU: kelurahan/desa Anda apa"


editor = signed_in_as("editor")


def textarea(body: str) -> str:
    """The draft as the page shows it (the browser drops the newline after ``<textarea>``)."""
    found = re.search(r'<textarea id="source"[^>]*>\n(.*?)</textarea>', body, re.S)
    assert found, "no editor on the page"
    return html.unescape(found.group(1))


def hidden(body: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', body)
    assert found, f"no field {name}"
    return html.unescape(found.group(1))


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


async def count(settings: Settings, model: type) -> int:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as db:
            return int(await db.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await engine.dispose()


async def test_check_publish_pinned_sessions_history_rollback_and_csrf(
    editor: Staff, server: str, settings: Settings, http: ClientSession
) -> None:
    response, body = await editor.get("/console/flows")
    assert response.status == 200 and "find_tps" in body and "Cari TPS" in body and "suara:default-library" in body
    _, body = await editor.get(EDIT)
    original, base = textarea(body), hidden(body, "base_version")
    assert "id: find_tps" in original and len(base) == 64
    versions_before = len(await rows(settings, FlowVersion))

    # A deliberate error is shown at its line, and nothing changes.
    broken = original.replace("  - id: show\n    say:", "  - id: show\n    sya:")
    line = line_of(broken, "    sya:")
    response, body = await editor.post(EDIT + "/check", {"source": broken, "base_version": base})
    assert response.status == 200
    assert f'<li id="line-{line}" class="bad">' in body
    assert f"baris {line}, kolom 5" in body and "unknown step type &#39;sya&#39;" in body
    assert textarea(body) == broken, "the draft stays in the editor"
    response, body = await editor.post(EDIT + "/publish", {"source": broken, "base_version": base})
    assert response.status == 422 and f'id="line-{line}" class="bad"' in body
    assert len(await rows(settings, FlowVersion)) == versions_before

    # A voter in the middle of the flow, before the new version.
    old_voter = WebVoter(http, server)
    (question,) = await old_voter.say("cari tps")
    assert question["text"].startswith(OLD_QUESTION)

    # Without the CSRF token: refused, nothing published.
    fixed = original.replace(OLD_QUESTION, NEW_QUESTION)
    response, _ = await editor.post(EDIT + "/publish", {"source": fixed, "base_version": base}, csrf=None)
    assert response.status == 403
    assert len(await rows(settings, FlowVersion)) == versions_before

    response, _ = await editor.post(EDIT + "/publish", {"source": fixed.replace("\n", "\r\n"), "base_version": base,
                                                        "note": "pertanyaan lebih jelas"})
    assert response.status == 302 and response.headers["Location"] == EDIT
    _, body = await editor.get(EDIT)
    assert "diterbitkan (versi" in body and textarea(body) == fixed
    newest = (await rows(settings, FlowVersion, flow_id="find_tps"))[-1]
    assert newest.source == fixed and newest.author == "staff:editor@suara.test"
    (entry,) = await rows(settings, AuditEntry, action="flow_published")
    assert entry.subject == "flow:find_tps" and entry.actor == "staff:editor@suara.test"
    assert entry.detail["before"] == original and entry.detail["after"] == fixed
    assert entry.detail["note"] == "pertanyaan lebih jelas"

    # Live for a new conversation at once; the running one finishes on its version.
    (question,) = await WebVoter(http, server).say("cari tps")
    assert question["text"].startswith(NEW_QUESTION)
    (found, *_) = await old_voter.say("sukagalh")
    assert found["text"].startswith("TPS yang kami temukan:")

    # Publishing from a stale editor is a conflict, not a silent overwrite.
    response, body = await editor.post(EDIT + "/publish", {"source": original + "# x\n", "base_version": base})
    assert response.status == 409 and "diterbitkan orang lain" in body

    # History with the diff, then roll back to the first version: a new version, live at once.
    response, body = await editor.get(EDIT + "/history")
    assert response.status == 200
    assert f'<span class="add">+      id: &#34;{NEW_QUESTION}' in body or f"+      id: &#34;{NEW_QUESTION}" in body
    first = (await rows(settings, FlowVersion, flow_id="find_tps"))[0]
    response, _ = await editor.post(EDIT + "/rollback", {"version_id": str(first.id), "base_version": newest.version})
    assert response.status == 302
    restored = (await rows(settings, FlowVersion, flow_id="find_tps"))[-1]
    assert restored.id > newest.id and restored.source.startswith(first.source)
    assert restored.source.rstrip("\n").splitlines()[-1].startswith("# diterbitkan lagi / republished ")
    (question,) = await WebVoter(http, server).say("cari tps")
    assert question["text"].startswith(OLD_QUESTION)
    _, body = await editor.get(EDIT + "/history")
    assert f"dikembalikan ke teks versi #{first.id}" in body
    assert len(await rows(settings, AuditEntry, action="flow_published")) == 2
    # A rollback form without its token is refused too.
    response, _ = await editor.post(EDIT + "/rollback", {"version_id": str(first.id)}, csrf=None)
    assert response.status == 403


VOTER_TABLES = (Contact, ChannelIdentity, Message, ConversationSession, InboundReceipt)


async def test_the_simulator_plays_the_draft_and_touches_no_voter_data(editor: Staff, settings: Settings) -> None:
    _, body = await editor.get(EDIT)
    draft = textarea(body).replace(OLD_QUESTION, "VERSI SIMULASI: desa Anda")
    base = hidden(body, "base_version")
    before = {model.__name__: await count(settings, model) for model in VOTER_TABLES + (FlowVersion, AuditEntry)}

    form = {"source": draft, "base_version": base, "transcript": ""}
    response, body = await editor.post(EDIT + "/simulate", form | {"message": "cari tps"})
    assert response.status == 200
    assert "VERSI SIMULASI: desa Anda" in body and "di alur find_tps, langkah ask_place" in body
    response, body = await editor.post(EDIT + "/simulate", form | {"transcript": hidden(body, "transcript"),
                                                                   "message": "sukagalh"})
    assert "TPS 001, Kel./Desa Sukagalih" in body, "the live polling stations answer in the simulator"
    assert body.count('class="msg me"') == 2 and "di luar alur" in body

    # Buttons of the last reply are pressed with their payload.
    response, body = await editor.post(EDIT + "/simulate", form | {"message": "halo"})
    payload = re.search(r'<button type="submit" name="payload" value="([^"]+)"[^>]*>Cari TPS saya<', body)
    assert payload, "the greeting's buttons are offered"
    response, body = await editor.post(EDIT + "/simulate", form | {"transcript": hidden(body, "transcript"),
                                                                   "payload": html.unescape(payload.group(1))})
    assert '<li class="msg me"><bdi>Cari TPS saya</bdi></li>' in body and "VERSI SIMULASI" in body

    # Start again; a transcript the page did not write is dropped, not trusted; the size is bounded.
    response, body = await editor.post(EDIT + "/simulate", form | {"transcript": hidden(body, "transcript"),
                                                                   "restart": "1"})
    assert hidden(body, "transcript") == "[]" and 'class="msg me"' not in body
    response, body = await editor.post(EDIT + "/simulate", form | {"transcript": '[{"x": 1}]', "message": "halo"})
    assert response.status == 200 and "dimulai dari awal" in body and body.count('class="msg me"') == 1
    full = "[" + ",".join(['{"t":"halo"}'] * 20) + "]"
    response, body = await editor.post(EDIT + "/simulate", form | {"transcript": full, "message": "lagi"})
    assert response.status == 200 and "sudah 20 pesan" in body and body.count('class="msg me"') == 20

    # A broken draft is not simulated: its problem is shown instead.
    response, body = await editor.post(EDIT + "/simulate", form | {"source": draft.replace("save_as: place", "save_as: Place"),
                                                                   "message": "cari tps"})
    assert response.status == 422 and "Perbaiki masalah draf dulu" in body and 'class="bad"' in body

    after = {model.__name__: await count(settings, model) for model in VOTER_TABLES + (FlowVersion, AuditEntry)}
    assert after == before, "the simulator wrote to the deployment's database"


async def test_election_settings_are_edited_alike_and_the_pages_speak_english(editor: Staff) -> None:
    _, body = await editor.get("/console/flows")
    assert 'href="/console/flows/@election"' in body and "Pengaturan pemilu" in body
    response, body = await editor.get("/console/flows/@election")
    assert response.status == 200 and "voting_day" in textarea(body)
    response, body = await editor.post("/console/flows/@election/check", {
        "source": textarea(body).replace("voting_day:", "Voting Day:", 1), "base_version": hidden(body, "base_version")})
    assert "must be a lower-case name" in html.unescape(body)
    await editor.post("/console/lang", {"lang": "en", "next": EDIT})
    _, body = await editor.get(EDIT)
    assert "Edit flow find_tps" in body and "Simulator" in body and "Your message as a voter" in body


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [" + ", ".join([f"*{chr(97 + n)}"] * 9) + "]\n" for n in range(8))
HOSTILE = {
    "huge": ("id: find_tps\n" + "# " + "x" * 30_000 + "\n", "terlalu panjang"),
    "deep": ("id: find_tps\nsteps: " + "[" * 5000 + "]" * 5000 + "\n", "terlalu dalam"),
    "deep blocks": ("id: find_tps\n" + "".join(" " * n + f"k{n}:\n" for n in range(60)), "terlalu dalam"),
    "anchors bomb": (BOMB, "lebih dari 20,000 nilai"),
    "binary": ("id: find_tps\n\x00\x01\x02\xff\xfe binary", "karakter kendali U+0000"),
    "python tag": ("id: !!python/object/apply:os.system [echo hi]\n", "not valid YAML"),
    "not a mapping": ("- just\n- a list\n", "a flow file must be a mapping"),
    "empty": ("", "a flow file must be a mapping"),
}


@pytest.mark.parametrize("action", ["check", "publish", "simulate"])
async def test_hostile_yaml_gets_a_clear_error_and_no_500(editor: Staff, settings: Settings, action: str) -> None:
    _, body = await editor.get(EDIT)
    base = hidden(body, "base_version")
    versions = len(await rows(settings, FlowVersion))
    for name, (source, expected) in HOSTILE.items():
        response, body = await editor.post(f"{EDIT}/{action}", {"source": source, "base_version": base,
                                                                 "message": "halo"})
        assert response.status in (200, 422), f"{name}: {response.status}"
        assert expected in html.unescape(body), f"{name}: {expected!r} not on the page"
    # Bytes that are not UTF-8 at all, and a body over the server's limit.
    async with editor.http.post(f"{editor.base}{EDIT}/{action}", data=b"csrf_token=" + editor.token.encode()
                                + b"&base_version=" + base.encode() + b"&source=id%3A%20%FF%FE%00",
                                headers={"Content-Type": "application/x-www-form-urlencoded"}) as response:
        assert response.status in (200, 400, 422) and "U+" in await response.text()
    response, body = await editor.post(f"{EDIT}/{action}", {"source": "x" * 100_000, "base_version": base})
    assert response.status == 413
    # A form with only its token gets a 400, never a 500.
    response, _ = await editor.post(f"{EDIT}/{action}", {})
    assert response.status == 400
    assert len(await rows(settings, FlowVersion)) == versions
