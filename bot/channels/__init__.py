"""Channel adapters: each turns a platform's messages into :class:`bot.messages.InboundMessage`."""
