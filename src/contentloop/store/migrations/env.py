"""Alembic environment: the engine comes from `contentloop.store.db.alembic_config`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from contentloop.store import all_tables  # noqa: F401  (registers every table)
from contentloop.store.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


run_migrations()
