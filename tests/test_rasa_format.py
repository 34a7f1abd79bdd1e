"""The Rasa training-data reader: two real Rasa projects, our own data, and broken files."""

from __future__ import annotations


import pytest

from nlu.rasa_format import default_training_data, parse_example, parse_rasa_yaml
from nlu.training_data import TrainingDataError, parse_jsonl
from shared_data import shared_file

VOTER_INTENTS = {
    "greet", "goodbye", "thanks", "help", "human", "ask_faq", "find_tps", "check_registration", "moved_residence",
    "reminders_subscribe", "report_violation", "share_interests", "consent_yes", "consent_no", "out_of_scope",
}


def _real_set(name: str, file: str):
    path = shared_file("rasa_format", name, file)
    return parse_rasa_yaml(path.read_text(encoding="utf-8"), str(path))


def test_rasa_3_project_loads_with_its_domain() -> None:
    nlu_data = _real_set("rasa31_skck_id", "nlu.yml")
    domain = _real_set("rasa31_skck_id", "domain.yml")
    assert len(nlu_data.examples) == 72
    assert nlu_data.intents == domain.domain_intents == (
        "greet", "goodbye", "affirm", "deny", "mood_great", "mood_unhappy", "bot_challenge", "ask_skck_requirements")
    assert nlu_data.examples[-1].text == "dokumen apa yang dibutuhkan untuk membuat SKCK?"
    assert nlu_data.examples[-1].line == 98
    assert "utter_skck_requirements" in domain.responses and len(domain.responses) == 7


def test_rasa_2_retrieval_intents_load_with_entities_and_responses() -> None:
    faq = _real_set("rasa_demo_faq_en", "faq.yml")
    responses = _real_set("rasa_demo_faq_en", "responses.yml")
    assert len(faq.intents) == 20 and len(faq.examples) == 881
    assert all(example.base_intent == "faq" for example in faq.examples)
    assert "faq/rasa_components" in faq.intents
    assert {f"utter_{intent}" for intent in faq.intents} <= set(responses.responses)
    annotated = [e for e in faq.examples if e.entities]
    assert sum(len(e.entities) for e in annotated) == 339
    first = annotated[0]
    assert first.text == "What are the two components that make up Rasa Open Source?"
    (entity,) = first.entities
    assert (entity.entity, entity.value, entity.start, entity.end) == ("product", "Rasa Open Source", 41, 57)
    for example in annotated:  # every span indexes the plain text
        for e in example.entities:
            assert "[" not in example.text and 0 <= e.start < e.end <= len(example.text)
    # [rasa playground]{"entity": "product", "value": "playground"} is a synonym
    assert faq.synonyms["playground"] == ("rasa playground",)


def test_our_training_data_has_every_voter_intent_with_annotations() -> None:
    data = default_training_data()
    counts = {intent: sum(e.intent == intent for e in data.examples) for intent in data.intents}
    assert set(counts) == VOTER_INTENTS
    assert all(15 <= n <= 40 for n in counts.values()), counts
    regions = {e.value for example in data.examples for e in example.entities if e.entity == "region"}
    assert {"Kutai Kartanegara", "Balikpapan", "Samarinda"} <= regions
    example = next(e for e in data.examples if e.text.startswith("ktp kukar tp tinggal di bpn"))
    spans = [(example.text[e.start:e.end], e.value) for e in example.entities]
    assert spans == [("kukar", "Kutai Kartanegara"), ("bpn", "Balikpapan")]
    tps = next(e for e in data.examples if e.text == "tps 5 samarinda dimana")
    assert [(e.entity, e.value, e.start, e.end) for e in tps.entities] == [
        ("tps_number", "5", 4, 5), ("region", "Samarinda", 6, 15)]
    assert "kukar" in data.synonyms["Kutai Kartanegara"]
    assert "Kutai Timur" in data.lookups["region"]
    assert data.regexes["tps_number"]


def test_every_annotation_form() -> None:
    text = ('saya di [kukar](region) dan [bpn](region:Balikpapan) atau [jogja]{"entity": "region", '
            '"value": "Daerah Istimewa Yogyakarta"} tps [7][{"entity": "tps_number"}, {"entity": "number", "value": 7}]')
    example = parse_example(text, "moved_residence")
    assert example.text == "saya di kukar dan bpn atau jogja tps 7"
    found = [(e.entity, e.value, example.text[e.start:e.end]) for e in example.entities]
    assert found == [("region", "kukar", "kukar"), ("region", "Balikpapan", "bpn"),
                     ("region", "Daerah Istimewa Yogyakarta", "jogja"), ("tps_number", "7", "7"), ("number", "7", "7")]


def test_examples_as_a_list_with_metadata() -> None:
    data = parse_rasa_yaml(
        'version: "3.1"\nnlu:\n- intent: greet\n  metadata:\n    sentiment: neutral\n  examples:\n'
        '  - text: halo\n    metadata:\n      src: web\n  - text: hai kak\n'
    )
    assert [(e.text, e.intent, e.line) for e in data.examples] == [("halo", "greet", 7), ("hai kak", "greet", 10)]


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ("nlu:\n- intent: greet\n  examples: |\n    - halo\n   - : :\n", 5, "not valid YAML"),
        ("nlu:\n- intent: greet\n", 2, "has no 'examples:'"),
        ("nlu:\n- intent: greet\n  examples: |\n    - halo\n    hai\n", 5, "each example starts with '- '"),
        ("nlu:\n- regex: nomor\n  examples: |\n    - ([0-9\n", 4, "regex 'nomor'"),
        ('nlu:\n- intent: x\n  examples: |\n    - di [bpn]{"entity": region}\n', 4, "not valid JSON"),
        ("nlu:\n- intent: a\n  synonym: b\n  examples: |\n    - x\n", 2, "exactly one of intent"),
        ("- just a list\n", 1, "expected a mapping"),
        ("", 1, "empty"),
    ],
)
def test_broken_files_name_the_line(content: str, line: int, problem: str) -> None:
    with pytest.raises(TrainingDataError) as caught:
        parse_rasa_yaml(content, "data/nlu.yml")
    assert str(caught.value).startswith(f"data/nlu.yml:{line}: ")
    assert problem in str(caught.value)


def test_jsonl_examples_and_errors() -> None:
    data = parse_jsonl('{"text": "halo", "label": "greet"}\n\n{"text": "dadah", "label": "goodbye"}\n', "t.jsonl")
    assert [(e.text, e.intent, e.line) for e in data.examples] == [("halo", "greet", 1), ("dadah", "goodbye", 3)]
    with pytest.raises(TrainingDataError, match=r"^t.jsonl:2: not valid JSON"):
        parse_jsonl('{"text": "halo", "label": "greet"}\n{"text": \n', "t.jsonl")
    with pytest.raises(TrainingDataError, match=r"^t.jsonl:1: missing label"):
        parse_jsonl('{"text": "halo"}\n', "t.jsonl")
