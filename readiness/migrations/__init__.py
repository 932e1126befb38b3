"""Alembic migrations of the store, shipped inside the package so that an installed ``readiness`` can
migrate its database without a checkout. :mod:`readiness.store.migrate` runs them programmatically."""
