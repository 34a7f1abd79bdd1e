"""Suara's running service, the only package that does I/O. One room per part of the service:

- ``channels/``      Telegram, WhatsApp, the web chat and the terminal: parse and render, the durable
                     webhook inbox and the wiring of the messaging channels; no SQL of their own.
- ``conversation/``  one inbound message through the turn (``loop``), per-contact order, the
                     voter's data rights and profile.
- ``understanding/`` the models ``nlu`` runs with at serve time (encoder, intent model, Rasa) and
                     the knowledge base loaded from disk.
- ``embedding/``     finding, building and loading the sentence encoder.
- ``delivery/``      the one sender, its durable outbox and the platforms' rate limits.
- ``storage/``       SQLAlchemy models, engine, migrations and every query of a turn.
- ``server/``        typed app keys, health checks, the error middleware.
- ``telemetry/``     metrics and logs.
- ``cli/``           ``suara``: one module per command group, shared helpers in ``cli/common``.

Room is left for ``console/`` (the staff web app) and ``broadcasts/`` (campaigns and segments).
The rooms are named for what they do for the service rather than for a technique, so a new
engineer finds a feature by its folder; ``delivery`` (not "outbound") because it owns the
guarantee that a message arrives, not only the direction. At the top stay the application
factory (``app``), the settings and the runtime wiring shared by the server and the terminal
chat. ``tests/test_dependency_rule.py`` checks which room may import which, and that nothing
imports in a circle.
"""
