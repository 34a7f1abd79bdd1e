"""Sending to messaging platforms: the one sender with its durable outbox (``sender``) and the
token buckets that keep it under each platform's rate (``ratelimit``)."""
