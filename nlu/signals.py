"""Segment signals: what a voter says about their situation and concerns, and why we think so.

Configured in ``nlu/data/signals.yml`` so staff can add an issue with a few example phrases:

- ``first_time_voter``, ``moved_residence``, ``disability_need``: precise rules (regexes over the
  normalised text). The first two describe the writer, so a rule that fires on someone else
  ("anak saya pertama kali nyoblos") does not count.
- issues: a keyword rule per issue, else a logistic-regression classifier over the message's
  sentence embedding, trained on the issue ``examples`` (plus ``no_issue_examples``), with a
  probability threshold fitted on the labelled development set.
- ``region`` (official Kemendagri codes, ``|``-separated when ambiguous) and the deep-link
  ``source``. Indonesian or English is kept on the contact as its reply language; a message in
  another language (Javanese, Sundanese, another script) gets a ``language`` signal.

Every signal has a value, a confidence, the evidence span of the text and the rule or model that
produced it. Religion, ethnicity and party preference are never inferred: there is no such signal
and the configuration loader refuses one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from .encoder import Encoder
from .regions import RegionMention, find_regions
from .types import Language, Signal

_CONFIG = Path(__file__).parent / "data" / "signals.yml"
RULE_SIGNALS = ("first_time_voter", "moved_residence", "disability_need")
_ABOUT_THE_WRITER = frozenset({"first_time_voter", "moved_residence"})
_FORBIDDEN = re.compile(r"relig|agama|ethnic|etnis|suku|party|partai|race|ras\b", re.IGNORECASE)

# Someone other than the writer: "anak saya", "adik gw", "my sister".
_SOMEONE_ELSE = re.compile(
    r"\b(?:anak|adik|adek|kakak|abang|ponakan|keponakan|cucu|istri|suami|ibu|bapak|ayah|mama|papa|orang tua|"
    r"nenek|kakek|teman|tetangga|saudara|sepupu|mertua)(?: ?(?:saya|aku|kami|gue|ku|nya))\b"
    r"|\b(?:dia|beliau|mereka|tps ?(?:ku|saya|nya)?|\w+nya)$"
    r"|\bmy (?:son|daughter|kid|child|sister|brother|mother|mom|father|dad|wife|husband|friend|parents?|"
    r"grand\w+|cousin|nephew|niece|neighbou?r)\b"
)
_SELF = re.compile(r"\b(saya|aku|gue|i|i m|im)\b")
# Words after which a place is where the voter is registered or comes from.
_HOME_CUE = re.compile(
    r"\b(ktp|ektp|e ktp|kk|asal|asli|dari|dr|from|originally|kampung|terdaftar|registered|orang|org|warga|"
    r"balik ke|pulang ke|mudik ke|back to|home to)\W+(\w+\W+){0,4}$"
)
_DEEP_LINK = re.compile(r"^/start[ =]([A-Za-z0-9_\-]{1,64})$")
_ISSUE_MODEL = "model:issue-logreg"


@dataclass(frozen=True, slots=True)
class _Rule:
    signal: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class SignalConfig:
    """The parsed ``signals.yml``: rule patterns, issue keywords and examples, labels."""

    rules: tuple[_Rule, ...]
    not_if: tuple[_Rule, ...]
    issue_keywords: tuple[tuple[str, re.Pattern[str]], ...]
    issue_examples: tuple[tuple[str, str], ...]
    no_issue_examples: tuple[str, ...]
    labels: dict[str, dict[str, str]]
    issue_threshold: float
    issue_veto: float
    signal_examples: dict[str, tuple[str, ...]]
    embedding_thresholds: dict[str, float]
    not_signal_examples: tuple[str, ...]
    embedding_margin: float

    def vetoed(self, normalised: str) -> frozenset[str]:
        """Rule signals a ``not_if`` pattern rules out ("bukan pemula lagi", "tidak pindah")."""
        return frozenset(r.signal for r in self.not_if if r.pattern.search(normalised))


class SignalConfigError(ValueError):
    """``signals.yml`` is malformed or asks for a signal we must never infer."""


@dataclass(frozen=True, slots=True)
class IssueModel:
    """A multinomial logistic regression over sentence embeddings: issues plus ``none``."""

    classes: tuple[str, ...]
    weights: np.ndarray  # (dim, classes)
    bias: np.ndarray  # (classes,)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = vectors @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


@dataclass(frozen=True, slots=True)
class SignalModel:
    """The embedding side of the signals: the issue classifier and the example phrasings of the
    yes/no signals (for a nearest-example match), all embedded with one encoder."""

    issues: IssueModel
    examples: dict[str, np.ndarray]  # signal name → (n, dim) example vectors
    contrast: dict[str, np.ndarray]  # signal name → vectors of everything that is not that signal

    def nearest(self, name: str, vector: np.ndarray) -> tuple[float, float]:
        """Best cosine similarity to ``name``'s examples and to its contrast examples."""
        own = float((self.examples[name] @ vector).max())
        other = float((self.contrast[name] @ vector).max()) if len(self.contrast[name]) else -1.0
        return own, other


def load_config(path: Path = _CONFIG) -> SignalConfig:
    """Read and validate a signal configuration file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise SignalConfigError(f"{path.name}: expected a mapping at the top level")
        rules = tuple(
            _Rule(name, re.compile(pattern, re.IGNORECASE))
            for name in RULE_SIGNALS
            for pattern in raw[name]["patterns"]
        )
        not_if = tuple(
            _Rule(name, re.compile(pattern, re.IGNORECASE))
            for name in RULE_SIGNALS
            for pattern in raw[name].get("not_if", ())
        )
        issues: dict[str, dict[str, object]] = raw["issues"]
        for name in [*issues, *raw.get("issue_keywords", {})]:
            if _FORBIDDEN.search(name):
                raise SignalConfigError(f"{path.name}: signal {name!r} is not allowed (never inferred)")
        keywords = tuple(
            (issue, re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE))
            for issue, patterns in raw.get("issue_keywords", {}).items()
        )
        examples = tuple((issue, str(e)) for issue, spec in issues.items() for e in spec["examples"])  # type: ignore[attr-defined]
        labels = {name: dict(spec["label"]) for name, spec in issues.items()}  # type: ignore[call-overload]
        labels.update({name: dict(raw[name]["label"]) for name in RULE_SIGNALS})
        return SignalConfig(
            rules, not_if, keywords, examples, tuple(map(str, raw.get("no_issue_examples", ()))), labels,
            float(raw.get("issue_threshold", 0.8)), float(raw.get("issue_veto", 0.5)),
            {name: tuple(map(str, raw[name].get("examples", ()))) for name in RULE_SIGNALS},
            {name: float(raw[name]["embedding_threshold"]) for name in RULE_SIGNALS
             if raw[name].get("embedding_threshold") is not None},
            tuple(map(str, raw.get("not_signal_examples", ()))),
            float(raw.get("embedding_margin", 0.01)),
        )
    except (KeyError, TypeError, AttributeError, re.error, yaml.YAMLError) as exc:
        raise SignalConfigError(f"{path.name}: {exc}") from None


@lru_cache(maxsize=1)
def default_config() -> SignalConfig:
    """Our own ``nlu/data/signals.yml``, read once."""
    return load_config()


def train_issue_model(vectors: np.ndarray, labels: Sequence[str], *, c: float = 256.0) -> IssueModel:
    """Fit the issue classifier on embedded examples (labels are issues or ``"none"``).

    The embeddings are centred by folding the mean into the bias, so the model applies to raw
    (L2-normalised) message vectors as they come from :func:`nlu.parse`.
    """
    from sklearn.linear_model import LogisticRegression

    vectors = np.asarray(vectors, dtype=np.float64)
    mean = vectors.mean(axis=0)
    model = LogisticRegression(C=c, max_iter=5000).fit(vectors - mean, list(labels))
    weights = model.coef_.T
    bias = model.intercept_ - mean @ weights
    return IssueModel(tuple(model.classes_), weights, bias)


def build_signal_model(encoder: Encoder, config: SignalConfig | None = None) -> SignalModel:
    """Embed every configured example once with ``encoder``: train the issue classifier, and keep
    the yes/no signals' examples for the nearest-example match. Everything that is not a signal
    (the other signals, issue talk, procedural questions, ``not_signal_examples``) is its contrast."""
    config = config or default_config()
    issue_texts = [text for _, text in config.issue_examples] + list(config.no_issue_examples)
    issue_labels = [issue for issue, _ in config.issue_examples] + ["none"] * len(config.no_issue_examples)
    signal_texts = [(n, t) for n in RULE_SIGNALS for t in config.signal_examples[n]]
    texts = issue_texts + [t for _, t in signal_texts] + list(config.not_signal_examples)
    vectors = np.asarray(encoder.encode_queries(texts), dtype=np.float32)
    issue_vectors, rest = vectors[: len(issue_texts)], vectors[len(issue_texts):]
    owners = np.array([n for n, _ in signal_texts] + ["none"] * len(config.not_signal_examples))
    names = [n for n in RULE_SIGNALS if n in config.embedding_thresholds and config.signal_examples[n]]
    return SignalModel(
        train_issue_model(issue_vectors, issue_labels),
        {n: rest[owners == n] for n in names},
        {n: np.vstack([issue_vectors, rest[owners != n]]) for n in names},
    )


@lru_cache(maxsize=4)
def signal_model_for(encoder: Encoder) -> SignalModel:
    """The signal model for ``encoder``, built on first use (a few seconds) and then reused."""
    return build_signal_model(encoder)


def extract_signals(
    text: str,
    normalised: str,
    vector: np.ndarray | None = None,
    model: SignalModel | None = None,
    config: SignalConfig | None = None,
) -> tuple[Signal, ...]:
    """Every signal in one message. ``text`` is the redacted original, ``vector`` its embedding."""
    config = config or default_config()
    if vector is None:
        model = None
    found = [*_rule_signals(normalised, config),
             *_issue_signals(normalised, vector, model.issues if model else None, config)]
    if model is not None and vector is not None:
        found += _nearest_example_signals(normalised, vector, model, config, {s.name for s in found})
    if not any(s.name == "moved_residence" for s in found):
        moved = _moved_between_places(text, normalised, config)
        found += [moved] if moved else []
    link = _DEEP_LINK.match(text.strip())
    if link:  # a campaign's link payload, not the voter's words: "kampanye_kaltim" names no home
        return (Signal("source", link.group(1), 1.0, text.strip(), "rule:deep_link"),)
    region = region_signal(text)
    if region is not None:
        found.append(region)
    return tuple(found)


def language_signal(text: str, other: str | None) -> tuple[Signal, ...]:
    """A message in another language than Indonesian or English (answered in Indonesian), recorded
    so staff can see which languages voters write in; nothing for Indonesian or English."""
    return (Signal("language", other, 0.6, _snippet(text), "rule:language"),) if other else ()


def region_signal(text: str) -> Signal | None:
    """The region the voter means: where they are registered or come from, else the first place named."""
    mentions = find_regions(text)
    if not mentions:
        return None
    mention = _home_mention(text, mentions)
    codes = "|".join(sorted(c.code for c in mention.candidates))
    confidence = mention.confidence / len(mention.candidates)
    return Signal("region", codes, round(confidence, 3), mention.text, f"entity:region:{mention.extractor}")


def _home_mention(text: str, mentions: Sequence[RegionMention]) -> RegionMention:
    lowered = text.casefold()
    for mention in mentions:
        if _HOME_CUE.search(lowered[: mention.start]):
            return mention
    return mentions[0]


def _rule_signals(normalised: str, config: SignalConfig) -> list[Signal]:
    found: dict[str, Signal] = {}
    for rule in config.rules:
        if rule.signal in found or rule.signal in config.vetoed(normalised):
            continue
        for match in rule.pattern.finditer(normalised):
            if rule.signal in _ABOUT_THE_WRITER and _about_someone_else(normalised, match):
                continue
            found[rule.signal] = Signal(rule.signal, "true", 0.9, match.group(0).strip(), f"rule:{rule.signal}")
            break
    return list(found.values())


def _nearest_example_signals(
    normalised: str, vector: np.ndarray, model: SignalModel, config: SignalConfig, already: set[str]
) -> list[Signal]:
    """Yes/no signals the rules missed, when the message is close to one of the signal's examples
    (and closer to them than to anything that is not the signal)."""
    found = []
    vetoed = config.vetoed(normalised)
    for name, threshold in config.embedding_thresholds.items():
        if name in already or name in vetoed or name not in model.examples:
            continue
        if name in _ABOUT_THE_WRITER and _only_someone_else(normalised):
            continue
        own, other = model.nearest(name, np.asarray(vector, dtype=np.float32))
        if own >= threshold and own >= other + config.embedding_margin:
            found.append(Signal(name, "true", round(own, 3), _snippet(normalised), "model:nearest-example"))
    return found


def _moved_between_places(text: str, normalised: str, config: SignalConfig) -> Signal | None:
    """Moved house, said without a moving word: a home place (KTP, origin) and another place named.

    "numpang di rumah sodara di bekasi, ktp sy masih tegal" → Tegal is home, Bekasi is elsewhere.
    """
    if "moved_residence" in config.vetoed(normalised) or _only_someone_else(normalised):
        return None
    mentions = find_regions(text)
    lowered = text.casefold()
    home = [m for m in mentions if _HOME_CUE.search(lowered[: m.start])]
    away = [m for m in mentions if m not in home]
    for h in home:
        for a in away:
            if not _same_place(h, a):
                first, last = sorted((h, a), key=lambda m: m.start)
                evidence = text[first.start:last.end]
                return Signal("moved_residence", "true", 0.8, evidence, "rule:moved_residence:two_places")
    return None


def _same_place(a: RegionMention, b: RegionMention) -> bool:
    """Whether two mentions can be the same place (one inside the other counts: Jakarta ⊃ Jaksel)."""
    return any(x.code.startswith(y.code) or y.code.startswith(x.code) for x in a.candidates for y in b.candidates)


def _only_someone_else(normalised: str) -> bool:
    """The message names another person ("anak saya") and never the writer alone ("saya ...")."""
    return bool(_SOMEONE_ELSE.search(normalised)) and not _SELF.search(_SOMEONE_ELSE.sub(" ", normalised))


def _about_someone_else(normalised: str, match: re.Match[str]) -> bool:
    """True when the clause before the evidence names another person and the writer not after it."""
    before = normalised[max(0, match.start() - 60): match.start()].rstrip()
    others = list(_SOMEONE_ELSE.finditer(before))
    if not others:
        return False
    return not _SELF.search(before[others[-1].end():] + " " + match.group(0))


def _issue_signals(
    normalised: str, vector: np.ndarray | None, model: IssueModel | None, config: SignalConfig
) -> list[Signal]:
    """Keyword rules, unless the classifier is sure the message names no issue (a TPS in a school is
    not about education); then the classifier's own confident issues."""
    probabilities = (
        dict(zip(model.classes, model.probabilities(np.asarray(vector, dtype=np.float64)[None, :])[0]))
        if vector is not None and model is not None else {}
    )
    found: dict[str, Signal] = {}
    if probabilities.get("none", 0.0) < config.issue_veto:
        for issue, pattern in config.issue_keywords:
            match = pattern.search(normalised)
            if match:
                found[issue] = Signal("issue", issue, 0.9, match.group(0).strip(), f"rule:issue:{issue}")
    for issue, p in probabilities.items():
        if issue != "none" and issue not in found and p >= config.issue_threshold:
            found[issue] = Signal("issue", str(issue), round(float(p), 3), _snippet(normalised), _ISSUE_MODEL)
    return list(found.values())


def _snippet(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(signal_name: str, value: str, language: Language, config: SignalConfig | None = None) -> str:
    """A signal in plain words for the voter or staff ("Lapangan kerja", "Pemilih pemula")."""
    config = config or default_config()
    key = value if signal_name == "issue" else signal_name
    label = config.labels.get(key)
    return label.get(language, label.get("id", key)) if label else key
