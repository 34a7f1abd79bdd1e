"""What the aiohttp server holds and answers besides channels: typed app keys, health checks and
the error middleware."""
