"""Replies to what a message does besides asking: small talk, a question about whom to vote
for, a concern voiced without a question — in any state, inside a flow or not — and the offer to
go back to the flow the voter was in.

Pure: the engine asks :func:`act_of` what a message is and adds the reply these functions build.
"""

from __future__ import annotations

from typing import Literal

from nlu import Language, ParseResult
from nlu.conversation_acts import asks_whom_to_vote_for, is_question, small_talk
from nlu.signals import describe

from .events import Button, Reply
from .texts import label, text

PAYLOAD_RESUME = "resume:yes"
PAYLOAD_LEAVE = "resume:no"

Act = Literal["candidate", "small_talk", "concern"]


def act_of(parse: ParseResult) -> Act | None:
    """What the message is, when it is one of the acts answered here (else ``None``)."""
    intent = parse.intent.name if parse.intent else None
    if asks_whom_to_vote_for(parse.normalised):
        return "candidate"
    if small_talk(parse.text, parse.normalised, intent) is not None:
        return "small_talk"
    if concern_issues(parse) and not is_question(parse.text, parse.normalised):
        return "concern"
    return None


def concern_issues(parse: ParseResult) -> list[str]:
    """The issues the message names (its ``issue`` signals), in order, without repeats."""
    return list(dict.fromkeys(s.value for s in parse.signals if s.name == "issue"))


def reply_to(act: Act, parse: ParseResult, language: Language, consent: bool | None) -> Reply:
    """The short reply to ``act``."""
    if act == "candidate":
        return Reply(text("decline_neutral", language), kind="decline_neutral")
    if act == "small_talk":
        intent = parse.intent.name if parse.intent else None
        kind = small_talk(parse.text, parse.normalised, intent) or "ack"
        key = {"thanks": "small_talk_thanks", "greet": "small_talk_greet", "bye": "small_talk_bye"}.get(
            kind, "small_talk_ack")
        return Reply(text(key, language), kind="small_talk")
    issues = _and_list([describe("issue", issue, language).lower() for issue in concern_issues(parse)], language)
    key = "concern_noted" if consent else "concern_heard"
    return Reply(text(key, language).format(issues=issues), kind="acknowledge")


def continue_offer(flow_title: str, language: Language) -> Reply:
    """"Lanjut ke "Cari TPS"?" with buttons to go back to the question or leave the flow."""
    return Reply(
        text("continue_offer", language).format(flow=flow_title),
        (Button(label("continue", language), PAYLOAD_RESUME), Button(label("leave", language), PAYLOAD_LEAVE)),
        kind="ask",
    )


def _and_list(items: list[str], language: Language) -> str:
    joiner = " dan " if language == "id" else " and "
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + joiner + items[-1]
