"""Segment query language (flows/segments): parsing, errors, hostile input, evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.segments import (
    FIELDS,
    MAX_DEPTH,
    MAX_LENGTH,
    And,
    Clause,
    ContactFacts,
    Not,
    Or,
    PollingStationFacts,
    Query,
    SegmentQueryError,
    explain,
    matches,
    parse,
)
from flows.segments.fields import Kind, issue_names
from nlu.signals import default_config

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def facts(**overrides: object) -> ContactFacts:
    """A WITA voter in Samarinda, first-time voter worried about the environment."""
    base: dict[str, object] = {
        "contact_id": 1, "language": "id", "timezone": "Asia/Makassar", "channel": "telegram",
        "last_seen_at": NOW - timedelta(days=3), "consent": True, "region": "64.72.01.1001",
        "source": "poster-unmul", "subscriptions": frozenset({"voting_day"}),
        "signals": {"issue": frozenset({"environment", "jobs"}), "first_time_voter": frozenset({"yes"})},
        "tps": PollingStationFacts(12, "Jl. Pahlawan 1", "Sempaja"),
    }
    base.update(overrides)
    return ContactFacts(**base)  # type: ignore[arg-type]


def error(text: str) -> SegmentQueryError:
    with pytest.raises(SegmentQueryError) as caught:
        parse(text)
    return caught.value


def same_tree(a: Query, b: Query) -> bool:
    """Same structure and clauses, wherever they stand in the text."""
    return str(a) == str(b) and [(c.field, c.op, c.value, c.raw) for c in a.clauses()] == [
        (c.field, c.op, c.value, c.raw) for c in b.clauses()]


def held(text: str, **overrides: object) -> bool:
    return matches(parse(text), facts(**overrides), NOW)


# --- the brief's examples --------------------------------------------------------------------

EXAMPLES = [
    'region = "Samarinda" AND issue = "environment" AND first_time_voter = yes',
    'province = "Kalimantan Timur"', "zone = WITA", "language = en", "channel = whatsapp",
    "moved_residence = yes", "disability_need = yes", "subscribed = voting_day", "last_seen < 30d",
    'source = "poster-unmul"', "has_tps = yes", "NOT (zone = WIB OR zone = WIT)", 'source ~ "poster"',
    "consent = yes",
]


@pytest.mark.parametrize("text", EXAMPLES)
def test_examples_parse_and_print_back_to_the_same_tree(text: str) -> None:
    query = parse(text)
    assert isinstance(query, Query) and query.text == text
    assert same_tree(parse(str(query)), query)


def test_clause_shape_and_positions() -> None:
    query = parse('region = "Samarinda" AND issue = "environment" AND first_time_voter = yes')
    assert isinstance(query.root, And)
    region, issue, first = query.root.items
    assert region == Clause("region", "=", ("64.72",), "Samarinda", 1)
    assert issue == Clause("issue", "=", "environment", "environment", 26)
    assert first == Clause("first_time_voter", "=", True, "yes", 52)
    assert list(query.clauses()) == [region, issue, first]


def test_nodes_are_frozen() -> None:
    clause = parse("zone = WIB").root
    with pytest.raises(AttributeError):
        clause.op = "!="  # type: ignore[misc]


# --- every field -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value"), [
    ("region = Samarinda", ("64.72",)),
    ("region = 64.72", ("64.72",)),
    ("region = 64.72.01", ("64.72.01",)),
    ('region = "Kota Samarinda"', ("64.72",)),
    ("region = kukar", ("64.02",)),  # our alias table
    ("region = bekasi", ("32.16", "32.75")),  # ambiguous: every candidate
    ('region = "Kota Bekasi"', ("32.75",)),
    ('region = "Samarinda Ulu"', ("64.72.03",)),  # a district
    ('province = "Kalimantan Timur"', ("64",)),
    ("province = kaltim", ("64",)),
    ("province = 64", ("64",)),
    ("zone = wita", "WITA"),
    ("zone = WIB", "WIB"),
    ("language = EN", "en"),
    ("channel = whatsapp", "whatsapp"),
    ("issue = environment", "environment"),
    ("issue = Pendidikan", "education"),  # a label from signals.yml
    ("first_time_voter = ya", True),
    ("first_time_voter = TRUE", True),
    ("moved_residence = tidak", False),
    ("disability_need = false", False),
    ("has_tps = no", False),
    ("consent = yes", True),
    ("subscribed = dpt", "dpt"),
    ("last_seen < 30d", timedelta(days=30)),
    ("last_seen > 12h", timedelta(hours=12)),
    ("last_seen < 2w", timedelta(weeks=2)),
    ("last_seen < 90M", timedelta(minutes=90)),
    ('source = "poster-unmul"', "poster-unmul"),
    ("source ~ poster", "poster"),
])
def test_values_are_typed(text: str, value: object) -> None:
    assert parse(text).root.value == value  # type: ignore[union-attr]


def test_issue_values_come_from_the_signal_config() -> None:
    configured = [name for name in default_config().labels if name not in ("first_time_voter", "moved_residence",
                                                                         "disability_need")]
    assert list(issue_names()) == configured and "environment" in configured
    for name in configured:
        assert parse(f"issue = {name}").root.value == name  # type: ignore[union-attr]


def test_catalogue_is_complete_and_bilingual() -> None:
    assert set(FIELDS) == {"region", "province", "zone", "language", "channel", "issue", "first_time_voter",
                           "moved_residence", "disability_need", "has_tps", "consent", "subscribed",
                           "last_seen", "source"}
    for spec in FIELDS.values():
        assert spec.description_id and spec.description_en and spec.operators
        parse(spec.example)
        if spec.kind is Kind.ENUM:
            assert spec.enum_values()
    assert FIELDS["subscribed"].enum_values() == ("all", "dpt", "voting_day")


@pytest.mark.parametrize(("text", "op"), [
    ("zone != WIB", "!="), ("region != Samarinda", "!="), ("source ~ x", "~"), ("source != x", "!="),
    ("last_seen > 1d", ">"), ("last_seen < 1d", "<"),
])
def test_operators(text: str, op: str) -> None:
    assert parse(text).root.op == op  # type: ignore[union-attr]


def test_field_names_and_keywords_ignore_case() -> None:
    assert parse("Zone = WIB and not LANGUAGE = en or Channel = web").root == parse(
        "zone = WIB AND NOT language = en OR channel = web").root


# --- AND / OR / NOT and parentheses ----------------------------------------------------------

def test_and_binds_tighter_than_or() -> None:
    root = parse("zone = WIB OR zone = WITA AND language = en").root
    assert isinstance(root, Or)
    assert isinstance(root.items[0], Clause) and isinstance(root.items[1], And)


def test_parentheses_override_precedence() -> None:
    root = parse("(zone = WIB OR zone = WITA) AND language = en").root
    assert isinstance(root, And) and isinstance(root.items[0], Or)


def test_chains_are_flat() -> None:
    root = parse("zone = WIB OR zone = WIT OR zone = WITA").root
    assert isinstance(root, Or) and len(root.items) == 3


def test_not_applies_to_the_next_condition_or_group() -> None:
    root = parse("NOT zone = WIB AND language = en").root
    assert isinstance(root, And) and isinstance(root.items[0], Not)
    root = parse("NOT (zone = WIB OR zone = WIT)").root
    assert isinstance(root, Not) and isinstance(root.item, Or)
    assert parse("not not zone = WIB").root == Not(Not(Clause("zone", "=", "WIB", "WIB", 9)))


def test_keywords_are_whole_words_and_values_may_be_keywords() -> None:
    assert parse("source = and").root.value == "and"  # type: ignore[union-attr]
    assert parse("source = notes").root.value == "notes"  # type: ignore[union-attr]
    assert parse("NOT(zone = WIB)").root == Not(Clause("zone", "=", "WIB", "WIB", 5))
    assert str(parse('source = "and"')) == 'source = "and"'


def test_canonical_form_adds_needed_parentheses() -> None:
    query = parse("(zone = WIB OR zone = WIT) AND NOT (language = en AND channel = web)")
    assert str(query) == "(zone = WIB OR zone = WIT) AND NOT (language = en AND channel = web)"
    assert same_tree(parse(str(query)), query)


# --- errors: position, bilingual message, suggestion -----------------------------------------

def test_unknown_field_message() -> None:
    err = error('regio = "Samarinda"')
    assert (err.position, err.suggestion) == (1, "region")
    assert str(err) == ('posisi 1: kolom "regio" tidak dikenal — maksud Anda "region"? / '
                        'position 1: unknown field "regio" — did you mean "region"?')
    assert err.message_id == 'kolom "regio" tidak dikenal' and err.message_en == 'unknown field "regio"'


def test_unknown_field_without_a_close_match() -> None:
    err = error("zone = WIB AND xyz = 1")
    assert (err.position, err.suggestion) == (16, None)
    assert str(err) == 'posisi 16: kolom "xyz" tidak dikenal / position 16: unknown field "xyz"'


@pytest.mark.parametrize(("text", "position", "suggestion"), [
    ('region ~ "Sam"', 8, "="),
    ("last_seen = 30d", 11, "<"),
    ("zone < WIB", 6, "="),
    ("consent ~ yes", 9, "="),
    ("issue > jobs", 7, "="),
])
def test_operator_not_allowed_is_reported_at_the_operator(text: str, position: int, suggestion: str) -> None:
    err = error(text)
    assert (err.position, err.suggestion) == (position, suggestion)
    assert "tidak bisa dipakai" in err.message_id and "not allowed" in err.message_en


@pytest.mark.parametrize(("text", "position", "suggestion"), [
    ("zone = wibb", 8, "WIB"),
    ("language = eng", 12, "en"),
    ("channel = whatsap", 11, "whatsapp"),
    ("issue = enviroment", 9, "environment"),
    ("subscribed = voting", 14, "voting_day"),
    ("first_time_voter = yess", 20, "yes"),
    ("has_tps = maybe", 11, None),
    ("last_seen < 30", 13, "30d"),
    ("last_seen < 30hari", 13, "30d"),
    ("last_seen < 3weeks", 13, "3w"),
    ("last_seen < soon", 13, None),
    ("region = samarindaa", 10, "Samarinda"),  # a typo is not silently a place
    ("region = xyzzy", 10, None),
    ("region = 99.99", 10, None),
    ('province = "Samarinda"', 12, "Kalimantan Timur"),  # not a province
    ("province = 64.72", 12, "Kalimantan Timur"),
])
def test_bad_values_are_reported_at_the_value(text: str, position: int, suggestion: str | None) -> None:
    err = error(text)
    assert (err.position, err.suggestion) == (position, suggestion)


def test_too_long_a_duration() -> None:
    err = error("last_seen < 9999999w")
    assert err.position == 13 and "too long" in err.message_en


def test_empty_contains() -> None:
    assert error('source ~ ""').position == 10
    assert parse('source = ""').root.value == ""  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "position", "english", "suggestion"), [
    ("", 1, "empty query", None),
    ("   \n ", 1, "empty query", None),
    ('zone = "WIB', 8, "unclosed double quote", None),
    ('source = "abc\\"', 10, "unclosed double quote", None),
    ("(zone = WIB", 1, "unclosed parenthesis", None),
    ("zone = WIB AND (language = en OR (channel = web)", 16, "unclosed parenthesis", None),
    ("zone = WIB)", 11, '")" has no matching "("', None),
    ("zone =", 7, "a value is missing", None),
    ("zone = ", 7, "a value is missing", None),
    ("zone", 5, "an operator (=, !=, <, >, ~) is missing", None),
    ("zone WIB", 6, "expected an operator", None),
    ("zone == WIB", 7, "expected a value", "="),
    ("zone ! WIB", 6, '"!" must be followed by "="', "!="),
    ("zone = WIB AND", 15, "a condition is missing at the end", None),
    ("NOT", 4, "a condition is missing at the end", None),
    ("AND zone = WIB", 1, 'a condition is missing before "AND"', None),
    ("zone = WIB AND OR zone = WIT", 16, 'a condition is missing before "OR"', None),
    ("()", 2, 'a condition is missing before ")"', None),
    ("= WIB", 1, "a field name is missing", None),
    ('"zone" = WIB', 1, "field names are written without quotes", "zone"),
    ("province = Kalimantan Timur", 23, 'unexpected "Timur"', "Kalimantan Timur"),
    ("zone = WIB zone = WIT", 12, 'unexpected "zone"', None),
    ("zone = WIB (language = en)", 12, 'unexpected "("', None),
    ("zone = WIB # comment", 12, 'unexpected "#"', "WIB # comment"),
    ('region = Kutai Kartanegara AND zone = WITA', 16, 'unexpected "Kartanegara"', "Kutai Kartanegara"),
    ('region = "Kutai" Kartanegara', 18, 'unexpected "Kartanegara"', None),
])
def test_syntax_errors(text: str, position: int, english: str, suggestion: str | None) -> None:
    err = error(text)
    assert err.position == position, str(err)
    assert english in err.message_en, str(err)
    assert err.suggestion == suggestion
    assert str(err).startswith(f"posisi {position}: ") and f" / position {position}: " in str(err)
    assert "Token" not in str(err) and "Expected" not in str(err) and "lark" not in str(err).lower()


def test_the_first_problem_from_the_left_is_reported() -> None:
    assert error("regio = x AND zone = wibb").position == 1
    assert error("zone = wibb AND regio = x").position == 8


# --- hostile input is data -------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "'; DROP TABLE x; --", 'a "quoted" word', "Robert'); DROP TABLE contacts;--", "%' OR '1'='1",
    "\u202eevil\u202c", "zero\u200bwidth", "日本語", "إيران", "😀 emoji", "back\\slash", "AND", "( ) = ~ < >",
    "new\nline", "\x00nul",
])
def test_hostile_values_are_plain_data(value: str) -> None:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    query = parse(f'source = "{escaped}"')
    assert query.root == Clause("source", "=", value, value, 1)
    assert same_tree(parse(str(query)), query)
    assert matches(query, facts(source=value), NOW)
    assert not matches(query, facts(), NOW)


def test_bare_hostile_words_are_errors_not_code() -> None:
    err = error("source = '; DROP TABLE x; --")
    assert err.position == 13 and 'unexpected "DROP"' in err.message_en
    assert parse("source = ';").root.value == "';"  # type: ignore[union-attr]


def test_invisible_characters_are_escaped_in_messages() -> None:
    err = error("r\u202eegion = x")
    assert "\u202e" not in str(err) and "\\u202e" in str(err) and err.suggestion == "region"
    [result] = explain(parse('source = "\u202eabc"'), facts(), NOW)
    assert "\u202e" not in result.text and result.clause.value == "\u202eabc"


def test_unicode_whitespace_separates_words() -> None:
    assert parse("zone\u00a0=\u2003WIB").root == Clause("zone", "=", "WIB", "WIB", 1)


def test_length_cap() -> None:
    err = error("x" * (MAX_LENGTH + 1))
    assert err.position == MAX_LENGTH + 1 and "too long" in err.message_en
    long_ok = " OR ".join(["zone = WIB"] * 140)
    assert len(long_ok) <= MAX_LENGTH and len(parse(long_ok).root.items) == 140  # type: ignore[union-attr]


def test_nesting_cap_gives_an_error_never_recursion_error() -> None:
    ok = "(" * MAX_DEPTH + "zone = WIB" + ")" * MAX_DEPTH
    assert parse(ok).root == Clause("zone", "=", "WIB", "WIB", MAX_DEPTH + 1)
    err = error("(" * (MAX_DEPTH + 1) + "zone = WIB" + ")" * (MAX_DEPTH + 1))
    assert err.position == MAX_DEPTH + 1 and "nested" in err.message_en
    assert "nested" in error("NOT " * (MAX_DEPTH + 1) + "zone = WIB").message_en
    assert "nested" in error("(" * 990 + "zone = WIB" + ")" * 990).message_en
    assert error("(" * MAX_LENGTH).position == MAX_LENGTH + 1
    assert error(")" * MAX_LENGTH).position == 1


def test_non_text_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse(None)  # type: ignore[arg-type]


# --- the evaluator ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ('region = "Samarinda"', True),  # the voter's village is inside Kota Samarinda
    ("region = 64.72.01.1001", True),
    ("region = 64.72.01", True),
    ("region = Balikpapan", False),
    ("region != Balikpapan", True),
    ("province = kaltim", True),
    ('province = "Jawa Barat"', False),
    ("zone = WITA", True),
    ("zone = WIB", False),
    ("zone != WIB", True),
    ("language = id", True),
    ("language = en", False),
    ("channel = telegram", True),
    ("channel != whatsapp", True),
    ("issue = environment", True),
    ("issue = jobs", True),
    ("issue = health", False),
    ("issue != health", True),
    ("first_time_voter = yes", True),
    ("first_time_voter = no", False),
    ("moved_residence = no", True),
    ("moved_residence = yes", False),
    ("disability_need = yes", False),
    ("has_tps = yes", True),
    ("consent = yes", True),
    ("consent = no", False),
    ("subscribed = voting_day", True),
    ("subscribed = dpt", False),
    ("last_seen < 30d", True),
    ("last_seen < 3d", False),  # exactly 3 days ago is not "within" 3 days
    ("last_seen > 2d", True),
    ("last_seen > 1w", False),
    ("source = POSTER-UNMUL", True),
    ("source ~ poster", True),
    ("source ~ UNMUL", True),
    ("source ~ baliho", False),
    ("source != poster-unmul", False),
])
def test_each_field(text: str, expected: bool) -> None:
    assert held(text) is expected


def test_boolean_structure() -> None:
    assert held('region = "Samarinda" AND issue = "environment" AND first_time_voter = yes')
    assert not held("zone = WITA AND language = en")
    assert held("zone = WIB OR zone = WITA AND language = id")
    assert held("language = en OR zone = WITA AND language = id")
    assert not held("(language = en OR zone = WITA) AND language = en")
    assert held("NOT (zone = WIB OR zone = WIT)")
    assert not held("NOT (zone = WIB OR zone = WIT)", timezone="Asia/Jayapura")


def test_zone_wib_covers_pontianak() -> None:
    assert held("zone = WIB", timezone="Asia/Pontianak") and held("zone = WIB", timezone="Asia/Jakarta")
    assert held("zone = WIT", timezone="Asia/Jayapura")


def test_ambiguous_regions_match_any_code() -> None:
    assert held("region = bekasi", region="32.75.01")
    assert held('region = "Kota Bekasi"', region="32.16|32.75")  # the voter's own answer was ambiguous
    assert not held('region = "Kota Bekasi"', region="32.16")
    assert not held("region = 64.72", region="64")  # the province is not inside the city
    assert not held("region = 64.72", region="64.721")  # inside means a whole code segment, not text prefix


def test_missing_facts() -> None:
    bare = {"region": None, "source": None, "consent": None, "subscriptions": frozenset(), "signals": {}, "tps": None}
    assert not held("region = Samarinda", **bare) and held("region != Samarinda", **bare)
    assert held('source = ""', **bare) and not held("source ~ poster", **bare)
    assert held("consent = no", **bare) and not held("consent = yes", **bare)
    assert held("consent = no", consent=False)
    assert held("has_tps = no", **bare)
    assert held("issue != environment", **bare) and held("first_time_voter = no", **bare)


def test_subscription_to_all_covers_every_topic() -> None:
    everything = frozenset({"all"})
    assert held("subscribed = voting_day", subscriptions=everything)
    assert held("subscribed = dpt", subscriptions=everything)
    assert held("subscribed = all", subscriptions=everything)
    assert not held("subscribed = all")


def test_last_seen_uses_the_given_time_and_accepts_naive_datetimes() -> None:
    voter = facts(last_seen_at=datetime(2026, 12, 1, 8, 0))  # naive = UTC
    assert matches(parse("last_seen < 5d"), voter, NOW)
    assert not matches(parse("last_seen < 5d"), voter, NOW + timedelta(days=2))
    assert matches(parse("last_seen > 5d"), voter, NOW + timedelta(days=2))


def test_matches_accepts_a_node() -> None:
    query = parse("zone = WITA AND language = id")
    assert matches(query.root, facts(), NOW) and matches(query.root.items[0], facts(), NOW)  # type: ignore[union-attr]


def test_explain_says_which_fact_decided() -> None:
    query = parse('region = "Samarinda" AND issue = environment AND NOT zone = WIB AND last_seen < 1d')
    results = explain(query, facts(), NOW)
    assert [r.text for r in results] == ["region = Samarinda", "issue = environment", "zone = WIB",
                                         "last_seen < 1d"]
    assert [r.held for r in results] == [True, True, False, False]
    assert [r.negated for r in results] == [False, False, True, False]
    assert [r.fact for r in results] == ["region", "signals.issue", "timezone", "last_seen_at"]
    assert results[0].value == "64.72.01.1001"
    assert results[1].value == "environment"
    assert results[2].value == "Asia/Makassar"
    assert results[3].value.endswith("(3d 0h)")
    assert [r.clause for r in results] == list(query.clauses())


def test_explain_shows_everything_recorded_when_a_clause_fails() -> None:
    [result] = explain(parse("issue = health"), facts(), NOW)
    assert (result.held, result.fact, result.value) == (False, "signals.issue", "environment, jobs")
    [result] = explain(parse("first_time_voter = yes"), facts(signals={}), NOW)
    assert (result.held, result.value) == (False, "—")
    [result] = explain(parse("has_tps = yes"), facts(), NOW)
    assert result.value == "TPS 012 Sempaja"


# --- properties ------------------------------------------------------------------------------

_PIECES = st.sampled_from(["zone", "=", "WIB", "AND", "OR", "NOT", "(", ")", '"', "\\", "!=", "~", "<", ">",
                           "source", "region", "Samarinda", "30d", "last_seen", "yes", " ", "\u202e", "ü"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=25).map(" ".join)))
def test_any_text_parses_or_gives_a_positioned_error(text: str) -> None:
    try:
        query = parse(text)
    except SegmentQueryError as err:
        assert 1 <= err.position <= len(text) + 1
        assert err.message_id and err.message_en
    else:
        assert same_tree(parse(str(query)), query)
        matches(query, facts(), NOW)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=50))
def test_any_quoted_source_round_trips(value: str) -> None:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    query = parse(f'source = "{escaped}"')
    assert query.root.value == value  # type: ignore[union-attr]
    assert parse(str(query)).root.value == value  # type: ignore[union-attr]
