"""Prometheus metrics, kept in a registry per application so tests and workers don't collide."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.messages_in = Counter(
            "suara_messages_in", "Inbound voter messages", ["channel"], registry=self.registry
        )
        self.messages_out = Counter(
            "suara_messages_out", "Replies produced for voters", ["channel"], registry=self.registry
        )
        self.errors = Counter(
            "suara_errors", "Messages whose processing failed", ["channel"], registry=self.registry
        )
        self.sends_dropped = Counter(
            "suara_sends_dropped", "Sends dropped unsent, by reason (expired, opted_out, no_consent)",
            ["channel", "reason"], registry=self.registry,
        )
        self.events_dropped = Counter(
            "suara_webhook_events_dropped", "Webhook bodies or events acknowledged and dropped as unusable",
            ["channel", "reason"], registry=self.registry,
        )
        self.dead_letters = Counter(
            "suara_webhook_dead_letters", "Webhook events given up on after repeated failures",
            ["channel", "reason"], registry=self.registry,
        )
        self.web_refused = Counter(
            "suara_web_refused", "Web chat API calls refused (rate_limited, unknown_contact)", ["reason"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "suara_message_seconds",
            "Time from receiving a message to having its replies",
            ["channel"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
