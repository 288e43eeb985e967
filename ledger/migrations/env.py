"""Alembic environment: migrations run on the connection `ledger.store.migrate` hands over."""

from alembic import context

from ledger.tables import METADATA

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=METADATA)
with context.begin_transaction():
    context.run_migrations()
