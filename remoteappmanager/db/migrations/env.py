"""Alembic environment: runs migrations on the connection `Database` hands over."""

from alembic import context

from remoteappmanager.db.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite can alter a table only by copying it; batch mode does that for us.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
