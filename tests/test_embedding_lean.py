"""The lean encoder (SentencePiece tokenizer, no sentence-transformers at serve time) gives the
vectors sentence-transformers gives, in less memory; odd model folders keep the old loader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tokenizers

from bot.embedding import default_cache_dir, load_encoder, resolve_model
from bot.embedding.compact_tokenizer import load_compact_tokenizer
from bot.embedding.lean_model import LeanSentenceModel, lean_model
from bot.embedding.page_release import release_file_pages

#: Voter-style text and the odd input voters send: slang, typos, English, emoji, full-width and
#: combining characters, RTL overrides, control characters, runs of spaces, very long text.
TEXTS = [
    "dimana tps saya", "gw pertama kali nyoblos nih bro, caranya gmn sih biar sah",
    "How do I check whether I am registered to vote?", "tps sy dmn ya? sy tinggal di desa loa janan ilir",
    "ada yg bagi2 amplop di kampung sy, lapor kemana", "makasih ya 🙏🙏", "😀🇮🇩", "ＫＰＵ ｄｉ ｍａｎａ",
    "cafe\u0301 CAFÉ ﬁnal ①②", "\u202eRTL override text", "a\u200bb zero width", "tab\tand\nnewline",
    "  dua   spasi   banyak  ", "", " ", "x" * 3000, "KITAAAA :((((( !!!!!!!!!!!!!!", "\x00\x01 kontrol",
    "Apakah KTP-el wajib dibawa ke TPS pada hari pemungutan suara 27 November?", "ok", "?",
]


@pytest.fixture(scope="module")
def model_path() -> Path:
    return resolve_model("intfloat/multilingual-e5-small", allow_hub=False)


def test_the_compact_tokenizer_gives_the_ids_of_tokenizer_json(model_path):
    compact = load_compact_tokenizer(model_path, default_cache_dir())
    assert compact is not None
    original = tokenizers.Tokenizer.from_file(str(model_path / "tokenizer.json"))
    original.enable_truncation(512)
    for text in TEXTS:
        query = "query: " + text
        assert compact.ids(query, 512) == original.encode(query).ids, text


def test_lean_vectors_equal_sentence_transformers_vectors(model_path, encoder):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(model_path), device="cpu", local_files_only=True).eval()
    lean = lean_model(model_path, default_cache_dir())
    assert isinstance(lean, LeanSentenceModel)
    queries = ["query: " + t for t in TEXTS]
    expected = reference.encode(queries, batch_size=8, normalize_embeddings=True, convert_to_numpy=True)
    assert np.array_equal(lean.encode(queries, batch_size=8), expected)  # bit for bit
    # The served encoder (8-bit) is the lean one and still a unit vector per text.
    served = encoder.encode_queries(TEXTS)
    assert served.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(served, axis=1), 1.0, atol=1e-4)


def test_the_8_bit_encoder_answers_the_same_after_its_float_pages_are_released(model_path):
    first = load_encoder(str(model_path), num_threads=1, int8=True)
    vectors = first.encode_queries(TEXTS)
    again = first.encode_queries(TEXTS)  # pages given back are never needed again
    assert np.array_equal(vectors, again)


def test_release_never_touches_memory_outside_the_weights_file(tmp_path):
    data = bytearray(b"\x07" * 65536)
    buffer = (np.frombuffer(data, dtype=np.uint8))
    address = buffer.__array_interface__["data"][0]
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"\x00" * 4096)
    assert release_file_pages([(address, len(data))], weights) == 0
    assert bytes(data) == b"\x07" * 65536


def test_a_corrupt_tokenizer_cache_is_rebuilt(model_path, tmp_path):
    first = load_compact_tokenizer(model_path, tmp_path)
    assert first is not None
    for cached in (tmp_path / "tokenizers").iterdir():
        cached.write_bytes(b"not a model")
    rebuilt = load_compact_tokenizer(model_path, tmp_path)
    assert rebuilt is not None and rebuilt.ids("query: halo", 512) == first.ids("query: halo", 512)


def test_a_folder_of_another_shape_keeps_the_sentence_transformers_loader(model_path, tmp_path):
    folder = tmp_path / "cls-pooled"
    folder.mkdir()
    for item in model_path.iterdir():
        if item.name != "1_Pooling":
            (folder / item.name).symlink_to(item)
    (folder / "1_Pooling").mkdir()
    pooling = json.loads((model_path / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    assert lean_model(folder, tmp_path) is None
    encoder = load_encoder(str(folder), cache_dir=tmp_path, num_threads=1)
    assert encoder.encode_queries(["dimana tps saya"]).shape == (1, 384)
