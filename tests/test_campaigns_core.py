"""The pure campaign core (flows/campaigns): loading with file:line errors, and every decision
of plan_contact — zones, voting day and overrides, quiet hours, masa tenang, who may receive,
variant order, the WhatsApp window and rendering. No database, no clock: time is a parameter.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from flows.campaigns import (
    Campaign,
    Planned,
    QuietHours,
    Settings,
    Skipped,
    after_quiet_hours,
    due_at,
    format_date,
    library_sources,
    masa_tenang_days,
    parse_campaign,
    parse_campaigns,
    plan_contact,
    zone_of,
)
from flows.segments.facts import ContactFacts, PollingStationFacts

SAMARINDA, JAKARTA_PUSAT, JAYAPURA = "64.72", "31.71", "91.71"
KUKAR_VILLAGE = "64.02.01"  # a district of Kutai Kartanegara
NOW = datetime(2024, 11, 15, 3, 0, tzinfo=UTC)
TPS = PollingStationFacts(12, "Jl. Pahlawan No. 3", "Sidodadi", "https://osm.org/go/x")


def voter(**changes: object) -> ContactFacts:
    """A consenting Telegram subscriber in Samarinda who wrote to us recently, with a TPS."""
    base = ContactFacts(
        contact_id=7, language="id", timezone="Asia/Makassar", channel="telegram", last_seen_at=NOW,
        consent=True, region=SAMARINDA, subscriptions=frozenset({"voting_day"}), tps=TPS,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def signals(*names: str) -> dict[str, frozenset[str]]:
    return {name: frozenset({"yes"}) for name in names}


@pytest.fixture(scope="module")
def pilkada() -> Campaign:
    campaign, problems = parse_campaign(library_sources()["pilkada-2024.yml"], "pilkada-2024.yml")
    assert [str(p) for p in problems] == []
    assert campaign is not None
    return campaign


def load(text: str) -> Campaign:
    campaign, problems = parse_campaign(textwrap.dedent(text), "c.yml")
    assert [str(p) for p in problems] == []
    assert campaign is not None
    return campaign


# --- the example ----------------------------------------------------------------------------


def test_the_example_loads_without_problems(pilkada: Campaign) -> None:
    assert pilkada.id == "pilkada-2024"
    assert pilkada.election.voting_day == date(2024, 11, 27)
    assert [(e.id, e.offset_days, e.at) for e in pilkada.events] == [
        ("h-7", -7, time(19)), ("h-1", -1, time(19)), ("h", 0, time(6, 30))]
    h1 = pilkada.event("h-1")
    assert [v.segment for v in h1.variants] == [
        "moved_residence = yes", "disability_need = yes", "first_time_voter = yes", None]
    assert all(v.neutral for e in pilkada.events for v in e.variants)
    assert pilkada.version and len(pilkada.version) == 64


def test_the_example_names_no_candidate_or_party(pilkada: Campaign) -> None:
    words = ("paslon", "partai", "nomor urut", "coblos nomor", "pilih nomor", "candidate number", "party")
    for event in pilkada.events:
        for variant in event.variants:
            texts = [*variant.text.values.values(), *(variant.fallback.values.values() if variant.fallback else [])]
            for text in texts:
                assert not any(word in text.casefold() for word in words), text


# --- validation: each problem at its line ---------------------------------------------------

GOOD = """\
id: test
title: {id: "Uji", en: "Test"}
topic: voting_day
election:
  voting_day: 2024-11-27
missing_tps: fallback
events:
  - id: h-1
    offset_days: -1
    at: "19:00"
    variants:
      - segment: 'first_time_voter = yes'
        neutral: yes
        text:
          id: "Besok! TPS {tps.number}. Buka {hours} {zone}."
          en: "Tomorrow! TPS {tps.number}. Open {hours} {zone}."
          fallback: {id: "Besok! Buka {hours} {zone}.", en: "Tomorrow! Open {hours} {zone}."}
        whatsapp_template: {name: uji_h1, language: id, parameters: ["{tps.number}", "{hours}", "{zone}"],
                            fallback: {name: uji_h1_umum, language: id, parameters: ["{hours}", "{zone}"]}}
      - default: yes
        text: {id: "Besok {voting_day}.", en: "Tomorrow, {voting_day}."}
"""


def test_the_validation_fixture_itself_is_valid() -> None:
    load(GOOD)


def problems_of(text: str) -> list[str]:
    campaign, problems = parse_campaign(text, "c.yml")
    assert problems, "expected problems"
    assert campaign is None
    return [str(p) for p in problems]


def line_of(text: str, needle: str, nth: int = 0) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[nth]


def edit(old: str, new: str, text: str = GOOD) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def assert_problem(text: str, needle: str, message: str) -> None:
    """A problem on the line containing ``needle`` whose message contains ``message``."""
    found = problems_of(text)
    line = line_of(text, needle)
    assert any(p.startswith(f"c.yml:{line}:") and message in p for p in found), (line, found)


def test_missing_translation_is_reported_at_the_text() -> None:
    text = edit('        text: {id: "Besok {voting_day}.", en: "Tomorrow, {voting_day}."}',
                '        text: {id: "Besok {voting_day}."}')
    assert_problem(text, 'text: {id: "Besok {voting_day}."}', "missing translation 'en'")


def test_empty_translation_is_reported_at_its_line() -> None:
    text = edit('          en: "Tomorrow! TPS {tps.number}. Open {hours} {zone}."', '          en: ""')
    assert_problem(text, '          en: ""', "text in 'en' must be non-empty text")


def test_duplicate_event_ids() -> None:
    text = GOOD + '  - id: h-1\n    at: now\n    text: {id: "Halo", en: "Hello"}\n'
    found = problems_of(text)
    line = line_of(text, "- id: h-1", nth=1)
    assert f"c.yml:{line}:9: duplicate event id 'h-1' (first at line 8)" in found


def test_default_variant_must_be_last() -> None:
    text = edit('      - default: yes\n        text: {id: "Besok {voting_day}.", en: "Tomorrow, {voting_day}."}\n', "")
    text = edit("      - segment: 'first_time_voter = yes'",
                "      - default: yes\n        text: {id: a, en: b}\n      - segment: 'first_time_voter = yes'", text)
    assert_problem(text, "      - default: yes", "the default variant must be the last one")


def test_default_variant_must_exist() -> None:
    text = edit("      - default: yes", "      - segment: 'moved_residence = yes'")
    assert_problem(text, "moved_residence", "the last variant must be the default")


@pytest.mark.parametrize(("value", "message"), [
    ('"25:00"', "at must be a local time"),
    ('"7pm"', "at must be a local time"),
    ("19:00", 'write the time in quotes: at: "19:00"'),  # YAML 1.1 reads this as 1140
])
def test_bad_times(value: str, message: str) -> None:
    text = edit('    at: "19:00"', f"    at: {value}")
    assert_problem(text, f"    at: {value}", message)


@pytest.mark.parametrize(("value", "message"), [
    ('"2024-11-31"', "not a date: '2024-11-31'"),
    ("27-11-2024", "not a date"),
    ("2024-13-01", "not a valid date"),  # PyYAML itself fails on this one
    ("2024-11-27 07:00:00", "write a date without a time"),
])
def test_bad_dates(value: str, message: str) -> None:
    text = edit("  voting_day: 2024-11-27", f"  voting_day: {value}")
    assert_problem(text, f"voting_day: {value}", message)


def test_unknown_key_suggests_the_right_one() -> None:
    text = edit("    offset_days: -1", "    ofset_days: -1")
    found = problems_of(text)
    assert f"c.yml:{line_of(text, 'ofset_days')}:5: unknown key 'ofset_days' (did you mean 'offset_days'?)" in found


def test_unknown_key_without_a_near_miss_lists_the_keys() -> None:
    text = edit("missing_tps: fallback", "missing_tps: fallback\ncolour: blue")
    found = problems_of(text)
    assert any(p.startswith(f"c.yml:{line_of(text, 'colour')}:1: unknown key 'colour' (expected one of: id, title")
               for p in found), found


def test_unknown_placeholder_at_its_line_with_a_suggestion() -> None:
    text = edit('          en: "Tomorrow! TPS {tps.number}.', '          en: "Tomorrow! TPS {tps.nomor}.')
    found = problems_of(text)
    line = line_of(text, "{tps.nomor}")
    assert any(p.startswith(f"c.yml:{line}:15: unknown placeholder '{{tps.nomor}}' (did you mean '{{tps.number}}'?)")
               for p in found), found


def test_the_fallback_cannot_use_the_tps() -> None:
    text = edit('fallback: {id: "Besok! Buka', 'fallback: {id: "Besok! TPS {tps.address}. Buka')
    assert_problem(text, "TPS {tps.address}. Buka", "cannot use {tps.address}")


def test_a_tps_text_needs_a_fallback_when_missing_tps_is_fallback() -> None:
    text = "\n".join(line for line in GOOD.splitlines() if "fallback: {id:" not in line) + "\n"
    assert_problem(text, "        text:", "no fallback text for voters whose TPS is unknown")
    load(edit("missing_tps: fallback", "missing_tps: skip", text))  # fine when those voters are skipped


def test_segment_query_errors_are_reported_at_their_line() -> None:
    text = edit("first_time_voter = yes", "first_time_votr = yes")
    found = problems_of(text)
    line = line_of(text, "first_time_votr")
    assert any(p.startswith(f"c.yml:{line}:18: segment query: ") for p in found), found


def test_whatsapp_template_missing_parameters() -> None:
    text = edit('parameters: ["{tps.number}", "{hours}", "{zone}"]', 'parameters: ["{tps.number}"]')
    assert_problem(text, 'parameters: ["{tps.number}"]', "missing parameters for {hours}, {zone}, which the text uses")


def test_whatsapp_template_missing_keys() -> None:
    text = edit("whatsapp_template: {name: uji_h1, language: id, ", "whatsapp_template: {name: uji_h1, ")
    assert_problem(text, "whatsapp_template:", "the WhatsApp template is missing 'language'")


def test_unknown_topic_and_missing_tps_value() -> None:
    text = edit("topic: voting_day", "topic: votingday")
    assert_problem(text, "topic: votingday", "unknown topic 'votingday' (did you mean 'voting_day'?)")
    text = edit("missing_tps: fallback", "missing_tps: maybe")
    assert_problem(text, "missing_tps: maybe", "missing_tps must be 'fallback' or 'skip'")


def test_region_overrides_must_name_one_region() -> None:
    text = edit("  voting_day: 2024-11-27", "  voting_day: 2024-11-27\n  overrides:\n"
                "    - region: Bekasi\n      voting_day: 2024-12-14\n    - region: Atlantis\n      voting_day: 2024-12-14")
    assert_problem(text, "region: Bekasi", "'Bekasi' may mean Kabupaten Bekasi (32.16), Kota Bekasi (32.75)")
    assert_problem(text, "region: Atlantis", "no region is called 'Atlantis'")


def test_now_events_have_no_offset_and_yaml_errors_have_a_position() -> None:
    text = GOOD + '  - id: now-one\n    at: now\n    offset_days: 2\n    text: {id: "Halo", en: "Hello"}\n'
    assert_problem(text, "offset_days: 2", "an event at 'now' has no offset_days")
    found = problems_of("id: [unclosed\n")
    assert found[0].startswith("c.yml:2:1: not valid YAML")


def test_all_problems_are_reported_at_once_in_line_order() -> None:
    text = edit("topic: voting_day", "topic: nope", edit("    offset_days: -1", "    ofset_days: -1"))
    found = problems_of(text)
    assert len(found) == 2
    assert [int(p.split(":")[1]) for p in found] == sorted(int(p.split(":")[1]) for p in found)


# --- zones and due times --------------------------------------------------------------------


@pytest.mark.parametrize(("region", "zone", "hour_utc"), [
    (SAMARINDA, "WITA", 11), (JAKARTA_PUSAT, "WIB", 12), (JAYAPURA, "WIT", 10)])
def test_h1_is_19_00_in_each_voters_own_zone(pilkada: Campaign, region: str, zone: str, hour_utc: int) -> None:
    facts = voter(region=region, timezone="Asia/Jakarta")  # the region wins over a stale stored zone
    assert due_at(pilkada.event("h-1"), pilkada.election, facts, NOW) == datetime(2024, 11, 26, hour_utc, tzinfo=UTC)
    planned = plan_contact(pilkada, pilkada.event("h-1"), facts, NOW)
    assert isinstance(planned, Planned)
    assert (planned.due_at, planned.zone, planned.zone_source) == (
        datetime(2024, 11, 26, hour_utc, tzinfo=UTC), zone, "region")


def test_zone_comes_from_region_then_stored_zone_then_default() -> None:
    assert zone_of(voter(region=JAYAPURA, timezone="Asia/Jakarta")).source == "region"
    stored = zone_of(voter(region=None, timezone="Asia/Pontianak"))
    assert (stored.name, stored.iana, stored.source) == ("WIB", "Asia/Pontianak", "stored")
    default = zone_of(voter(region=None, timezone=""), default_timezone="Asia/Makassar")
    assert (default.name, default.source) == ("WITA", "default")
    assert zone_of(voter(region="32.16|32.75", timezone="")).source == "region"  # both Bekasis are WIB
    assert zone_of(voter(region="99.99", timezone="Europe/Berlin")).source == "default"


def test_the_morning_message_and_a_broadcast_at_now(pilkada: Campaign) -> None:
    assert due_at(pilkada.event("h"), pilkada.election, voter(), NOW) == datetime(2024, 11, 26, 22, 30, tzinfo=UTC)
    broadcast = load(GOOD + '  - id: tps-moved\n    at: now\n    text: {id: "TPS pindah", en: "TPS moved"}\n')
    now = datetime(2024, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 WITA
    planned = plan_contact(broadcast, broadcast.event("tps-moved"), voter(), now)
    assert isinstance(planned, Planned) and planned.due_at == now and planned.text == "TPS pindah"


OVERRIDE = GOOD.replace("  voting_day: 2024-11-27\n", "  voting_day: 2024-11-27\n  overrides:\n"
                        '    - region: "Kutai Kartanegara"\n      voting_day: 2024-12-14\n')


def test_a_region_override_moves_that_regions_voting_day() -> None:
    campaign = load(OVERRIDE)
    assert [(o.code, o.name) for o in campaign.election.overrides] == [("64.02", "Kabupaten Kutai Kartanegara")]
    event = campaign.event("h-1")
    inside = plan_contact(campaign, event, voter(region=KUKAR_VILLAGE), NOW)
    outside = plan_contact(campaign, event, voter(region=SAMARINDA), NOW)
    assert isinstance(inside, Planned) and isinstance(outside, Planned)
    assert inside.due_at == datetime(2024, 12, 13, 11, tzinfo=UTC)  # 19:00 WITA the day before the PSU
    assert outside.due_at == datetime(2024, 11, 26, 11, tzinfo=UTC)
    default = campaign.event("h-1").variants[-1]
    assert default.text.get("id") == "Besok {voting_day}."
    rendered = plan_contact(campaign, event, voter(region=KUKAR_VILLAGE, signals={}), NOW)
    assert isinstance(rendered, Planned) and rendered.text == "Besok Sabtu, 14 Desember 2024."


def test_an_override_by_code_is_the_same() -> None:
    campaign = load(OVERRIDE.replace('"Kutai Kartanegara"', '"64.02"'))
    assert campaign.election.overrides[0].name == "Kabupaten Kutai Kartanegara"


# --- quiet hours ----------------------------------------------------------------------------


def late_campaign(at: str) -> Campaign:
    return load(edit('    at: "19:00"', f'    at: "{at}"'))


def test_a_send_inside_quiet_hours_moves_to_06_00_local() -> None:
    campaign = late_campaign("22:30")
    planned = plan_contact(campaign, campaign.event("h-1"), voter(), NOW)
    assert isinstance(planned, Planned)
    assert planned.due_at == datetime(2024, 11, 26, 22, tzinfo=UTC)  # 06:00 WITA on voting day
    early = late_campaign("05:00")
    planned = plan_contact(early, early.event("h-1"), voter(region=JAYAPURA), NOW)
    assert isinstance(planned, Planned) and planned.due_at == datetime(2024, 11, 25, 21, tzinfo=UTC)  # 06:00 WIT
    unchanged = plan_contact(campaign, campaign.event("h-1"), voter(), NOW, Settings(quiet_hours=None))
    assert isinstance(unchanged, Planned) and unchanged.due_at == datetime(2024, 11, 26, 14, 30, tzinfo=UTC)


def test_quiet_hours_edges_and_other_windows() -> None:
    zone = zone_of(voter(region=JAKARTA_PUSAT))
    at = lambda h, m=0: datetime(2024, 11, 20, h, m, tzinfo=zone.tzinfo)
    quiet = QuietHours()
    assert after_quiet_hours(at(20, 59), zone, quiet) == at(20, 59)
    assert after_quiet_hours(at(21), zone, quiet) == at(6) + timedelta(days=1)
    assert after_quiet_hours(at(5, 59), zone, quiet) == at(6)
    assert after_quiet_hours(at(6), zone, quiet) == at(6)
    lunch = QuietHours(time(12), time(13, 30))
    assert after_quiet_hours(at(12, 15), zone, lunch) == at(13, 30)
    assert after_quiet_hours(at(22), zone, QuietHours(time(0), time(0))) == at(22)


# --- masa tenang ----------------------------------------------------------------------------


def test_masa_tenang_holds_non_neutral_variants_only() -> None:
    campaign = load(GOOD)  # the first_time_voter variant is neutral, the default is not
    settings = Settings(masa_tenang=masa_tenang_days(date(2024, 11, 27)))
    assert settings.masa_tenang == {date(2024, 11, 24), date(2024, 11, 25), date(2024, 11, 26)}
    held = plan_contact(campaign, campaign.event("h-1"), voter(), NOW, settings)
    assert isinstance(held, Skipped)
    assert (held.reason, held.held, held.variant_index) == ("masa_tenang", True, 1)
    neutral = plan_contact(campaign, campaign.event("h-1"), voter(signals=signals("first_time_voter")), NOW, settings)
    assert isinstance(neutral, Planned) and neutral.neutral
    outside = load(edit("    offset_days: -1", "    offset_days: -7"))
    assert isinstance(plan_contact(outside, outside.event("h-1"), voter(), NOW, settings), Planned)


# --- who may receive ------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "reason"), [
    ({"consent": None}, "no_consent"),
    ({"consent": False}, "no_consent"),
    ({"opted_out": True}, "opted_out"),
    ({"subscriptions": frozenset()}, "not_subscribed"),
    ({"subscriptions": frozenset({"dpt"})}, "not_subscribed"),
    ({"channel": "web"}, "unreachable"),
])
def test_who_may_not_receive(pilkada: Campaign, changes: dict[str, object], reason: str) -> None:
    result = plan_contact(pilkada, pilkada.event("h-7"), voter(**changes), NOW)
    assert isinstance(result, Skipped) and result.reason == reason and not result.held


def test_a_subscription_to_all_and_a_campaign_for_all() -> None:
    campaign = load(GOOD)
    assert isinstance(plan_contact(campaign, campaign.event("h-1"), voter(subscriptions=frozenset({"all"})), NOW),
                      Planned)
    for_all = load(edit("topic: voting_day", "topic: all"))
    assert isinstance(plan_contact(for_all, for_all.event("h-1"), voter(subscriptions=frozenset({"dpt"})), NOW),
                      Planned)


def test_a_message_long_past_due_is_not_sent(pilkada: Campaign) -> None:
    late = plan_contact(pilkada, pilkada.event("h-7"), voter(), datetime(2024, 11, 24, tzinfo=UTC))
    assert isinstance(late, Skipped) and late.reason == "expired"


# --- variants -------------------------------------------------------------------------------


@pytest.mark.parametrize(("names", "index"), [
    (("moved_residence", "first_time_voter", "disability_need"), 0),
    (("first_time_voter", "disability_need"), 1),
    (("first_time_voter",), 2),
    ((), 3),
])
def test_the_first_matching_variant_wins(pilkada: Campaign, names: tuple[str, ...], index: int) -> None:
    planned = plan_contact(pilkada, pilkada.event("h-1"), voter(signals=signals(*names)), NOW)
    assert isinstance(planned, Planned) and planned.variant_index == index


# --- WhatsApp's 24-hour window --------------------------------------------------------------


def test_whatsapp_inside_the_window_sends_text_outside_only_a_template(pilkada: Campaign) -> None:
    event = pilkada.event("h-1")
    send = datetime(2024, 11, 26, 11, tzinfo=UTC)
    inside = plan_contact(pilkada, event, voter(channel="whatsapp", last_seen_at=send - timedelta(hours=23)), NOW)
    assert isinstance(inside, Planned) and inside.template is None
    outside = plan_contact(pilkada, event, voter(channel="whatsapp", last_seen_at=send - timedelta(hours=24)), NOW)
    assert isinstance(outside, Planned) and outside.template is not None
    assert outside.template.name == "pilkada_h1"
    assert outside.template.parameters == ("Rabu, 27 November 2024", "12", "Jl. Pahlawan No. 3", "07.00–13.00", "WITA")
    no_tps = plan_contact(pilkada, event, voter(channel="whatsapp", tps=None, language="en"), NOW)
    assert isinstance(no_tps, Planned) and no_tps.template is not None
    assert no_tps.template.name == "pilkada_h1_tanpa_tps" and no_tps.used_fallback
    assert no_tps.template.parameters == ("Rabu, 27 November 2024", "07.00–13.00", "WITA")  # the template's language


def test_whatsapp_without_a_template_outside_the_window_is_skipped() -> None:
    campaign = load(GOOD)  # the default variant has no template
    old = NOW - timedelta(days=3)
    skipped = plan_contact(campaign, campaign.event("h-1"), voter(channel="whatsapp", last_seen_at=old), NOW)
    assert isinstance(skipped, Skipped) and skipped.reason == "whatsapp_window"
    telegram = plan_contact(campaign, campaign.event("h-1"), voter(channel="telegram", last_seen_at=old), NOW)
    assert isinstance(telegram, Planned) and telegram.template is None


# --- rendering ------------------------------------------------------------------------------


def test_rendering_in_indonesian_and_english_with_the_tps(pilkada: Campaign) -> None:
    event = pilkada.event("h-1")
    indonesian = plan_contact(pilkada, event, voter(signals=signals("first_time_voter")), NOW)
    assert isinstance(indonesian, Planned) and indonesian.language == "id"
    assert indonesian.text.startswith(
        "Besok hari pertama Anda memilih, Rabu, 27 November 2024! TPS 12: Jl. Pahlawan No. 3. Buka pukul 07.00–13.00 WITA.")
    english = plan_contact(pilkada, event, voter(language="en", region=JAYAPURA), NOW)
    assert isinstance(english, Planned) and english.language == "en"
    assert english.text.startswith(
        "The Pilkada is tomorrow, Wednesday, 27 November 2024. TPS 12: Jl. Pahlawan No. 3, open 07:00–13:00 WIT.")
    assert not english.used_fallback


def test_a_voter_without_a_tps_gets_the_fallback_or_is_skipped(pilkada: Campaign) -> None:
    event = pilkada.event("h-1")
    fallback = plan_contact(pilkada, event, voter(tps=None), NOW)
    assert isinstance(fallback, Planned) and fallback.used_fallback
    assert fallback.text == ("Besok Pilkada, Rabu, 27 November 2024, TPS buka pukul 07.00–13.00 WITA. Bawa e-KTP "
                             "atau Suket dan surat pemberitahuan (C.Pemberitahuan). Ketik /tps untuk mencari TPS Anda.")
    skip = load(edit("missing_tps: fallback", "missing_tps: skip"))
    skipped = plan_contact(skip, skip.event("h-1"), voter(tps=None, signals=signals("first_time_voter")), NOW)
    assert isinstance(skipped, Skipped) and skipped.reason == "no_tps" and skipped.variant_index == 0


def test_a_missing_map_link_counts_as_missing() -> None:
    campaign = load(edit('parameters: ["{tps.number}",', 'parameters: ["{tps.number}", "{tps.map_url}",',
                         edit("TPS {tps.number}. Buka", "TPS {tps.number} {tps.map_url}. Buka")))
    facts = voter(tps=replace(TPS, map_url=None), signals=signals("first_time_voter"))
    planned = plan_contact(campaign, campaign.event("h-1"), facts, NOW)
    assert isinstance(planned, Planned) and planned.text == "Besok! Buka 07.00–13.00 WITA."


def test_dates_in_both_languages() -> None:
    assert format_date(date(2024, 11, 27), "id") == "Rabu, 27 November 2024"
    assert format_date(date(2024, 11, 27), "en") == "Wednesday, 27 November 2024"
    assert format_date(date(2029, 2, 14), "id") == "Rabu, 14 Februari 2029"


def test_times_must_carry_a_zone(pilkada: Campaign) -> None:
    with pytest.raises(ValueError, match="time zone"):
        plan_contact(pilkada, pilkada.event("h-1"), voter(), datetime(2024, 11, 15, 3, 0))


def test_the_example_in_the_docs_is_valid_and_campaign_ids_are_unique() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reminders.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", doc, re.DOTALL)
    assert example is not None
    campaigns, problems = parse_campaigns({"a.yml": example.group(1), "b.yml": example.group(1)})
    assert [str(p) for p in problems] == ["b.yml:1:1: campaign id 'pilkada-2024' is already used by a.yml"]
    assert list(campaigns) == ["pilkada-2024"]
