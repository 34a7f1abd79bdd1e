"""The optional Rasa backend: Rasa's /model/parse answer mapped to our types, over real HTTP.

The last test talks to a real Rasa 3.6.21 server (``SUARA_TEST_RASA=1``; build its environment with
``scripts/build-rasa-env.sh ../shared/rasa/rasa310-lock.txt``). It trains a small Rasa model on our
own ``nlu/data/nlu.yml``, so it takes a few minutes and CI does not run it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

import nlu
from bot.understanding.local import LocalNlu
from bot.understanding.rasa import RasaNlu
from nlu.rasa_format import DEFAULT_TRAINING_FILE
from nlu.rasa_json import RasaResponseError, apply_rasa_answer, to_rasa_json

ROOT = Path(__file__).resolve().parents[1]
# The shape of a Rasa 3.6 answer (recorded from `rasa run --enable-api`, trimmed to three intents).
RECORDED = {
    "text": "tps 5 di samarinda dmn ya",
    "intent": {"name": "find_tps", "confidence": 0.9712},
    "entities": [
        {"entity": "tps_number", "start": 4, "end": 5, "confidence_entity": 0.99, "value": "5",
         "extractor": "DIETClassifier"},
        {"entity": "region", "start": 9, "end": 18, "confidence_entity": 0.97, "value": "Samarinda",
         "extractor": "DIETClassifier", "processors": ["EntitySynonymMapper"]},
    ],
    "text_tokens": [[0, 3], [4, 5], [6, 8], [9, 18], [19, 22], [23, 25]],
    "intent_ranking": [{"name": "find_tps", "confidence": 0.9712}, {"name": "ask_faq", "confidence": 0.02},
                       {"name": "moved_residence", "confidence": 0.0088}],
    "response_selector": {"all_retrieval_intents": [], "default": {"response": {"responses": None}}},
}


def test_a_rasa_answer_maps_to_our_types_next_to_our_own_entities() -> None:
    ours = nlu.parse("tps 5 di samarinda dmn ya")
    result = apply_rasa_answer(ours, RECORDED)
    assert result.intent == nlu.Intent("find_tps", 0.9712)
    assert [i.name for i in result.intent_ranking] == ["find_tps", "ask_faq", "moved_residence"]
    assert result.entities[: len(ours.entities)] == ours.entities  # our regions and TPS numbers stay
    rasa = result.entities[len(ours.entities):]
    assert [(e.entity, e.value, result.text[e.start:e.end], e.extractor, e.confidence) for e in rasa] == [
        ("tps_number", "5", "5", "DIETClassifier", 0.99), ("region", "Samarinda", "samarinda", "DIETClassifier", 0.97)]
    assert to_rasa_json(result)["intent"] == {"name": "find_tps", "confidence": 0.9712}


def test_entity_offsets_move_back_onto_the_original_text_after_masking() -> None:
    original = nlu.parse("hp 081234567890 di samarinda")
    assert original.redacted != original.text
    start = original.redacted.index("samarinda")
    answer = {"intent": {"name": "find_tps", "confidence": 0.5},
              "entities": [{"entity": "region", "start": start, "end": start + 9, "value": "Samarinda"}]}
    (entity,) = apply_rasa_answer(original, answer).entities[len(original.entities):]
    assert original.text[entity.start:entity.end] == "samarinda"


@pytest.mark.parametrize("answer", [[], {"intent": "find_tps"}, {"intent": {"name": 3}},
                                    {"entities": [{"entity": "x"}]}, {"intent_ranking": "no"}])
def test_a_malformed_answer_is_refused(answer: object) -> None:
    with pytest.raises(RasaResponseError):
        apply_rasa_answer(nlu.parse("halo"), answer)


@pytest.fixture
async def fake_rasa() -> AsyncIterator[tuple[str, list[dict]]]:
    """A loopback HTTP server that answers /model/parse with the recorded answer and logs requests."""
    received: list[dict] = []

    async def model_parse(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({**RECORDED, "text": received[-1]["text"]})

    app = web.Application()
    app.router.add_post("/model/parse", model_parse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", received
    await runner.cleanup()


async def test_backend_asks_rasa_with_the_redacted_text(fake_rasa: tuple[str, list[dict]]) -> None:
    url, received = fake_rasa
    backend = RasaNlu(url, 5.0, LocalNlu())
    try:
        result = await backend.parse("tps 5 di samarinda, nik 3374012345678901", "id")
    finally:
        await backend.close()
    assert received == [{"text": "tps 5 di samarinda, nik [NIK]"}]
    assert result.intent == nlu.Intent("find_tps", 0.9712)
    assert "samarinda" in [result.text[e.start:e.end] for e in result.entities]


async def test_when_rasa_is_down_the_voter_still_gets_our_understanding() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = RasaNlu(f"http://127.0.0.1:{port}", 2.0, LocalNlu())
    try:
        result = await backend.parse("halo kak", "id")
    finally:
        await backend.close()
    assert result.intent is not None and result.intent.name == "greet"


# ----------------------------------------------------------------------------------------------
# A real Rasa 3.6.21 server
# ----------------------------------------------------------------------------------------------
RASA_CONFIG = """\
recipe: default.v1
language: id
assistant_id: suara-test
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 40
    random_seed: 1
  - name: EntitySynonymMapper
policies: []
"""


@pytest.fixture(scope="module")
def rasa_server() -> Iterator[str]:
    if os.environ.get("SUARA_TEST_RASA") != "1":
        pytest.skip("SUARA_TEST_RASA is not 1: the real Rasa 3.6.21 server test is opt-in (several minutes)")
    venv = Path(os.environ.get("SUARA_RASA_VENV", ROOT / "var" / "rasa-venv"))
    rasa = venv / "bin" / "rasa"
    if not rasa.exists():
        pytest.fail(f"no Rasa at {rasa}: run scripts/build-rasa-env.sh ../shared/rasa/rasa310-lock.txt")
    models = _trained_rasa_model(rasa)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (models / "server.log").open("w")
    server = subprocess.Popen([str(rasa), "run", "--enable-api", "-m", str(models), "-i", "127.0.0.1", "-p", str(port)],
                              stdout=log, stderr=subprocess.STDOUT, cwd=models)
    try:
        _wait_for(f"http://127.0.0.1:{port}/", server, timeout=240)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _trained_rasa_model(rasa: Path) -> Path:
    """A Rasa NLU model for our data, trained once per version of the data (cached in ./var)."""
    data = DEFAULT_TRAINING_FILE.read_bytes()
    key = hashlib.sha256(data + RASA_CONFIG.encode()).hexdigest()[:16]
    models = ROOT / "var" / "rasa-models" / key
    if not list(models.glob("*.tar.gz")):
        shutil.rmtree(models, ignore_errors=True)
        models.mkdir(parents=True)
        (models / "config.yml").write_text(RASA_CONFIG, encoding="utf-8")
        subprocess.run([str(rasa), "train", "nlu", "--nlu", str(DEFAULT_TRAINING_FILE), "--config", "config.yml",
                        "--out", "."], cwd=models, check=True, timeout=900, capture_output=True)
    return models


def _wait_for(url: str, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"rasa run exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url + "status", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"rasa run did not answer within {timeout} s")


async def test_a_real_rasa_server_decides_the_intent(rasa_server: str) -> None:
    backend = RasaNlu(rasa_server, 30.0, LocalNlu())
    try:
        trained = await backend.parse("cari tps", "id")  # a training example: Rasa must know it
        result = await backend.parse("tps 5 di samarinda dmn ya kak, nik 3374012345678901", "id")
        direct = await backend.ask(result.redacted)
    finally:
        await backend.close()
    assert trained.intent is not None and trained.intent.name == "find_tps"
    assert set(direct) >= {"text", "intent", "entities", "intent_ranking"}
    assert direct["text"] == "tps 5 di samarinda dmn ya kak, nik [NIK]"
    assert result.intent is not None and result.intent.name == direct["intent"]["name"]
    assert result.intent_ranking[0] == result.intent
    assert {i.name for i in result.intent_ranking} <= {
        "greet", "goodbye", "thanks", "help", "human", "ask_faq", "find_tps", "check_registration",
        "moved_residence", "reminders_subscribe", "report_violation", "share_interests", "consent_yes",
        "consent_no", "out_of_scope"}
    for entity in result.entities:  # offsets index what the voter wrote
        assert result.text[entity.start:entity.end]
