"""The dashboard over HTTP against the real server, on SQLite and PostgreSQL: the viewers' home,
reasonable on an empty database, SVG charts without scripts, the expected numbers on seeded data,
and voter text escaped in the top lists."""

from __future__ import annotations

import re


from bot.conversation.loop import utcnow
from bot.settings import Settings
from broadcast_seed import add_contact
from tests.console_client import Staff, make_account
from tests.console_seed import signed_in_as, HOSTILE, add_campaign_rows, add_messages, add_opt_out, add_unanswered, database

CHARTS = ("messages", "outcomes", "regions", "opt_outs", "funnel")


viewer = signed_in_as("viewer")


async def seed(settings: Settings) -> None:
    now = utcnow()
    async with database(settings) as db:
        samarinda = await add_contact(db, region="64.72", signals={"issue": ["jobs"], "first_time_voter": ["yes"]})
        jakarta = await add_contact(db, region="31.71", signals={"issue": ["health"]})
        add_messages(db, samarinda, ["kapan pemilu?", "kapan pemilu?", HOSTILE[0]], now)
        add_messages(db, jakarta, ["kapan pemilu?", HOSTILE[2]], now, channel="whatsapp")
        add_messages(db, samarinda, ["Pemilu 27 November."] * 2, now, direction="out", answer_id="jadwal",
                     kind="answer")
        add_messages(db, jakarta, ["Itu hoaks. KPU: https://kpu.go.id"], now, direction="out", channel="whatsapp",
                     answer_id="hoax:tinta", kind="correction")
        add_messages(db, jakarta, ["Maksud Anda yang mana?"], now, direction="out", channel="whatsapp",
                     buttons=[{"title": "Jadwal", "payload": "q:jadwal"}, {"title": "TPS", "payload": "q:tps"}],
                     kind="clarify")
        add_messages(db, jakarta, ["Terima kasih sudah bercerita soal kesehatan. Kami hanya mencatat…"], now,
                     direction="out", channel="whatsapp", kind="acknowledge")
        add_messages(db, samarinda, ["Maaf, saya belum tahu jawabannya."] * 3, now, direction="out", kind="not_known")
        for question in (HOSTILE[1], HOSTILE[1], HOSTILE[3]):
            add_unanswered(db, samarinda, question, now, kind="abstained")
        add_opt_out(db, samarinda, now)
        add_opt_out(db, jakarta, now)
        await add_campaign_rows(db, "pilkada-uji", [(samarinda, "read"), (jakarta, "sent")], now)
        extra = [await add_contact(db) for _ in range(2)]
        await add_campaign_rows(db, "pilkada-uji", [(extra[0], "delivered"), (extra[1], "planned")], now)


def tiles(body: str) -> dict[str, int]:
    return {words.strip(): int(number) for number, words in re.findall(r"<li><strong>(\d+)</strong>([^<]+)</li>", body)}


async def test_empty_database_is_reasonable_and_the_viewers_home(viewer: Staff) -> None:
    response, _ = await viewer.get("/console/")
    assert response.status == 302 and response.headers["Location"] == "/console/dashboard"
    response, body = await viewer.get("/console/dashboard")
    assert response.status == 200 and set(tiles(body).values()) == {0}
    for chart in CHARTS:
        response, svg = await viewer.get(f"/console/dashboard/{chart}.svg?days=7")
        assert response.status == 200 and response.headers["Content-Type"].startswith("image/svg+xml")
        assert svg.lstrip().startswith(("<svg", "<?xml")) and "<script" not in svg and "Belum ada data" in svg
        assert f'src="/console/dashboard/{chart}.svg?days=30"' in body


async def test_seeded_numbers_charts_and_escaped_top_lists(viewer: Staff, settings: Settings, server: str) -> None:
    await seed(settings)
    response, body = await viewer.get("/console/dashboard")
    assert response.status == 200
    assert tiles(body) == {"pesan": 13, "dijawab": 3, "tanya balik": 1, "tidak tahu": 3, "berhenti (STOP)": 2,
                           "keluhan ditanggapi": 1}
    top = re.search(r"Pesan pemilih terbanyak.*?</ol>", body, re.S).group(0)  # type: ignore[union-attr]
    assert re.search(r"kapan pemilu\?</bdi></span> <meter min=\"0\" max=\"3\" value=\"3\">", top)
    assert "<script>window" not in body and "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in body
    assert "<img src=x" not in body and not re.search(r"""href\s*=\s*["']?\s*javascript:""", body, re.I)
    assert "\u202e" not in body and "[U+202E]" in body
    assert "Kalimantan Timur" in body and "Jakarta" in body
    funnel = re.search(r"direncanakan</td><td>(\d+)</td>.*?terkirim</td><td>(\d+)</td>.*?sampai</td><td>(\d+)"
                       r"</td>.*?dibaca</td><td>(\d+)</td>", body, re.S)
    assert funnel and funnel.groups() == ("4", "3", "2", "1")

    svgs = {}
    for chart in CHARTS:
        response, svgs[chart] = await viewer.get(f"/console/dashboard/{chart}.svg")
        assert response.status == 200 and "<script" not in svgs[chart] and "Belum ada data" not in svgs[chart]
    assert "telegram" in svgs["messages"] and "whatsapp" in svgs["messages"]
    assert "dijawab" in svgs["outcomes"] and "Kalimantan Timur" in svgs["regions"]
    assert re.search(r">4<", svgs["funnel"]) and "STOP" in svgs["opt_outs"]
    # English words for an English session; editors do not see the dashboard.
    await viewer.post("/console/lang", {"lang": "en", "next": "/console/dashboard"})
    _, english = await viewer.get("/console/dashboard/outcomes.svg")
    assert "answered" in english
    await make_account(settings, "editor@suara.test", "editor")
    editor = Staff(server)
    try:
        await editor.login("editor@suara.test")
        response, _ = await editor.get("/console/dashboard")
        assert response.status == 403
    finally:
        await editor.close()


async def test_shares_and_concerns_come_from_the_stored_reply_kinds(viewer: Staff, settings: Settings) -> None:
    """Replies stored before kinds were (NULL) are not guessed at from their answer id, buttons or
    words; replies with a kind count by it, whatever their text."""
    now = utcnow()
    async with database(settings) as db:
        voter = await add_contact(db)
        add_messages(db, voter, ["Pemilu 27 November."], now, direction="out", answer_id="jadwal")
        add_messages(db, voter, ["Maksud Anda yang mana?"], now, direction="out",
                     buttons=[{"title": "Jadwal", "payload": "q:jadwal"}])
        add_messages(db, voter, ["Terima kasih sudah bercerita soal kesehatan."], now, direction="out")
        add_unanswered(db, voter, "harga cabai berapa", now)
    _, body = await viewer.get("/console/dashboard")
    assert tiles(body) == {"pesan": 3, "dijawab": 0, "tanya balik": 0, "tidak tahu": 0, "berhenti (STOP)": 0,
                           "keluhan ditanggapi": 0}

    async with database(settings) as db:
        for kind, n in (("answer", 2), ("correction", 1), ("clarify", 2), ("not_known", 4), ("acknowledge", 1),
                        ("small_talk", 3), ("ask", 1)):
            add_messages(db, voter, [f"balasan {kind}"] * n, now, direction="out", kind=kind)
        add_messages(db, voter, ["apa itu dpt"], now, kind=None)
    _, body = await viewer.get("/console/dashboard")
    assert tiles(body) == {"pesan": 18, "dijawab": 3, "tanya balik": 2, "tidak tahu": 4, "berhenti (STOP)": 0,
                           "keluhan ditanggapi": 1}
    _, svg = await viewer.get("/console/dashboard/outcomes.svg")
    assert "dijawab" in svg and "tanya balik" in svg and "tidak tahu" in svg
