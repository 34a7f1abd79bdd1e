"""The ``suara`` command line: :mod:`bot.cli.main` is the entry point, one module per command group."""
