"""Fake messaging platforms: aiohttp apps on 127.0.0.1 that speak the real wire formats."""
