"""Imports every table module, so ``Base.metadata`` is complete (Alembic, tests)."""

from server.db import tables  # noqa: F401  (imported for its tables)
from server.db.tables import Base

metadata = Base.metadata
