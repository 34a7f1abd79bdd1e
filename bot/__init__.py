"""Suara's running service: channels, the conversation loop, storage and the CLI (the only I/O)."""
