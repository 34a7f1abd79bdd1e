"""Segment signals: explainable, about the writer, never sensitive beliefs; and their evaluation CLI."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

import nlu
from bot.cli.main import main
from bot.storage.content import seed_demo_content
from bot.storage.engine import create_engine, session_factory
from bot.storage.models import SegmentSignal
from bot.embedding import SentenceEncoder
from bot.conversation.loop import ConversationLoop
from bot.conversation.messages import InboundMessage
from bot.telemetry.metrics import Metrics
from bot.understanding.local import LocalNlu
from bot.settings import Settings
from dbread import rows
from demo_knowledge import demo_knowledge
from nlu.signals import SignalConfigError, load_config, signal_model_for


def _signals(text: str, encoder: SentenceEncoder | None = None) -> dict[str, str]:
    return {s.value if s.name == "issue" else s.name: s.source for s in nlu.parse(text, encoder=encoder).signals}


def test_rules_explain_themselves_with_evidence_and_source() -> None:
    (signal,) = nlu.parse("sy baru pertama kali nyoblos nih").signals
    assert (signal.name, signal.value, signal.source) == ("first_time_voter", "true", "rule:first_time_voter")
    assert signal.evidence == "pertama kali mencoblos" and 0 < signal.confidence <= 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("anak sy pertama kali nyoblos, bawa apa?", set()),
        ("adik aku baru pindah ke surabaya, dia milih di mana?", {"region"}),
        ("my son is voting for the first time", set()),
        ("sy ibu rumah tangga, baru kali ini mau nyoblos", {"first_time_voter"}),
        # accessibility counts for the person the voter helps, too
        ("bapak sy pakai kursi roda, tps nya ada tangga", {"disability_need"}),
    ],
)
def test_first_time_and_moving_are_about_the_writer(text: str, expected: set[str]) -> None:
    assert set(_signals(text)) == expected


def test_moving_is_recognised_from_two_places_and_denials_are_respected() -> None:
    moved = nlu.parse("sehari-hari sy di bekasi, ktp sy masih tegal").signals
    assert {(s.name, s.source) for s in moved} >= {("moved_residence", "rule:moved_residence:two_places")}
    region = next(s for s in moved if s.name == "region")
    assert region.value == "33.28|33.76" and region.evidence == "tegal"  # home region, both Tegals
    assert "moved_residence" not in _signals("ktp dan tempat tinggal sy sama di pontianak")
    assert "first_time_voter" not in _signals("aku udah nyoblos pas pilpres kemarin, bukan pemula lagi")


def test_deep_link_source() -> None:
    (source,) = nlu.parse("/start kampanye_kaltim").signals
    assert (source.name, source.value, source.source) == ("source", "kampanye_kaltim", "rule:deep_link")


def test_religion_ethnicity_and_party_are_never_signals(encoder: SentenceEncoder) -> None:
    text = "saya muslim, suku bugis, pendukung partai nomor 3, mau tanya jam tps"
    assert nlu.parse(text, encoder=encoder).signals == ()


def test_a_config_asking_for_a_forbidden_signal_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "signals.yml"
    text = Path("nlu/data/signals.yml").read_text(encoding="utf-8").replace("  education:\n", "  agama:\n", 1)
    config.write_text(text, encoding="utf-8")
    with pytest.raises(SignalConfigError, match="agama"):
        load_config(config)
    config.write_text("issues: [", encoding="utf-8")
    with pytest.raises(SignalConfigError):
        load_config(config)


def test_issues_from_keywords_and_from_the_shared_embedding(encoder: SentenceEncoder) -> None:
    assert _signals("harga beras naik terus", encoder) == {"prices": "rule:issue:prices"}
    # no keyword: only the classifier over the message vector (computed once in parse) finds it
    result = nlu.parse("kapal kecil kalah sama kapal besar di laut", encoder=encoder)
    assert result.vector is not None
    assert {(s.value, s.source) for s in result.signals if s.name == "issue"} == {("fisheries", "model:issue-logreg")}
    # a procedural question that happens to mention a school is not about education
    assert _signals("tps sy di sekolah sd 3, jam berapa buka?", encoder) == {}
    # close to an accessibility example, but about school fees: not a disability
    assert _signals("orang tua ga mampu bayar spp", encoder) == {"education": "rule:issue:education"}
    assert signal_model_for(encoder) is signal_model_for(encoder)


def test_eval_signals_json_keys_and_scores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        {"text": "ktp sy kukar, sy pemilih pemula", "signals": {"issues": [], "first_time_voter": True,
         "moved_residence": None, "disability_need": None, "region": "Kutai Kartanegara", "lang": "id"}},
        {"text": "harga cabe naik terus", "signals": {"issues": ["prices"], "first_time_voter": None,
         "moved_residence": None, "disability_need": None, "region": None, "lang": "id"}},
        {"text": "I use a wheelchair, is my polling station in east lombok accessible?", "signals": {
         "issues": [], "first_time_voter": None, "moved_residence": None, "disability_need": True,
         "region": "Lombok Timur", "lang": "en"}},
    ]
    labelled = tmp_path / "set.jsonl"
    labelled.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["nlu", "eval-signals", str(labelled), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for name in ("issues", "first_time_voter", "moved_residence", "disability_need", "lang"):
        assert set(report[name]) >= {"precision", "recall"}
    assert report["region_accuracy"] == 1.0
    assert report["first_time_voter"] == {"precision": 1.0, "recall": 1.0, "support": 1}

    labelled.write_text('{"text": "x", "signals": {"first_time_voter": "maybe"}}\n', encoding="utf-8")
    assert main(["nlu", "eval-signals", str(labelled)]) == 2
    assert "line 1" in capsys.readouterr().err
    assert main(["nlu", "eval-signals", str(tmp_path / "missing.jsonl")]) == 2


async def test_the_loop_stores_embedding_issue_signals_for_a_consenting_voter(
    encoder: SentenceEncoder, settings: Settings
) -> None:
    engine = create_engine(settings)
    knowledge = demo_knowledge()
    loop = ConversationLoop(session_factory(engine), lambda: knowledge, Metrics(), understanding=LocalNlu(encoder))
    now = datetime.now(timezone.utc)
    await seed_demo_content(session_factory(engine), now)  # the published welcome and consent flows

    async def send(number: int, text: str | None = None, payload: str | None = None) -> None:
        await loop.handle(InboundMessage("web", "voter-1", f"m{number}", now, text=text, payload=payload))

    try:
        await send(1, "halo")
        await send(2, payload="consent:yes")
        await send(3, "kapal kecil kalah sama kapal besar di laut")
    finally:
        await engine.dispose()
    (signal,) = await rows(settings, SegmentSignal, name="issue")
    assert (signal.value, signal.source) == ("fisheries", "model:issue-logreg")
