from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

from catalog.models import Base
from catalog.settings import from_env

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def catalog_url() -> str:
    return config.attributes.get("catalog_url") or from_env().catalog_url


def run_migrations_offline() -> None:
    context.configure(url=catalog_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = create_engine(catalog_url(), poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
