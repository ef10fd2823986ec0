"""Imports every table module, so ``Base.metadata`` is complete (Alembic, tests)."""

from server.db import (
    tables,  # noqa: F401  (imported for its tables)
    tables_attendance,  # noqa: F401  (imported for its tables)
    tables_exchange,  # noqa: F401  (imported for its tables)
    tables_live,  # noqa: F401  (imported for its tables)
    tables_scheduler,  # noqa: F401  (imported for its tables)
    tables_streaming,  # noqa: F401  (imported for its tables)
    tables_tokens,  # noqa: F401  (imported for its tables)
)
from server.db.tables import Base

metadata = Base.metadata
