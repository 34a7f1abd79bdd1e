"""Storage: SQLAlchemy models, the engine, Alembic migrations, the queries of one conversation
turn (``turns``), staff content (``content``) and the staff files read from disk (``staff_files``)."""
