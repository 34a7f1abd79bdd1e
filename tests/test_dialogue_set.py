"""The voter dialogue set (tests/dialogues/voter_dialogues.yml, written by a helper who had not
read the engine) played through the real conversation loop, models and knowledge base by the same
machinery as ``suara dialogues test`` (:mod:`bot.cli.dialogues`). Issue 16 asks for 95 %; today
108 of 116 pass, so this test holds that floor (it fails on any regression) until the remaining
failures are fixed — the issue stays open until the floor is 95 %. The failures and the pass
rate per category are printed, and are the assertion message when the rate drops."""

from __future__ import annotations

from pathlib import Path

from bot.cli.dialogues import Outcome, play_all, summary
from bot.settings import Settings
from flows.dialogues import parse_dialogues

DIALOGUES = Path(__file__).resolve().parent / "dialogues" / "voter_dialogues.yml"
#: Issue 16's target is 0.95; the floor is today's measured 108/116 (see the module notes).
ISSUE_TARGET = 0.95
MIN_PASSED = 108


def _report(outcomes: list[Outcome], report: dict) -> str:
    lines = [f"FAIL {f['name']} turn {f['turn']} ({f['user']!r}): {'; '.join(f['problems'])} "
             f"-> {' | '.join(r[:100] for r in f['replies'])}" for f in report["failures"]]
    lines += [f"{category:<14} {c['passed']:>3}/{c['total']:<3} {c['passed'] / c['total']:.0%}"
              for category, c in report["categories"].items()]
    lines.append(f"{report['passed']}/{report['dialogues']} passed ({report['pass_rate']:.1%})")
    return "\n".join(lines)


async def test_the_dialogue_set_passes_at_least_as_many_as_today() -> None:
    dialogues, problems = parse_dialogues(DIALOGUES.read_text(encoding="utf-8"), str(DIALOGUES))
    assert not problems, [f"{p.pos}: {p.message}" for p in problems]
    assert len(dialogues) >= 80
    outcomes = await play_all(Settings(_env_file=None), dialogues)
    report = summary(outcomes)
    text = _report(outcomes, report)
    print(text)
    print(f"issue 16 target {ISSUE_TARGET:.0%}: {'met' if report['pass_rate'] >= ISSUE_TARGET else 'not yet met'}")
    assert report["passed"] >= MIN_PASSED, text
