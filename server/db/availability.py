"""Is this exception "the database is unreachable" (answer 503 and retry) or a bug (500)?

SQLAlchemy wraps what the driver raises on a *statement* (``OperationalError``,
or ``InterfaceError`` with ``connection_invalidated`` when asyncpg finds its
connection closed), but not what it raises while *connecting*: a refused or
reset TCP connection, a DNS failure or a connect timeout arrives as the plain
``OSError`` / ``TimeoutError`` (or asyncpg's own connection errors) from inside
the pool. Those count only when raised from the database stack itself, so an
``OSError`` from anything else (a file, an outbound HTTP call) stays a 500.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

_DATABASE_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.")
# asyncpg's refusals while connecting: PostgreSQL starting up, shutting down, full.
_ASYNCPG_CONNECT_ERRORS = frozenset(
    {"CannotConnectNowError", "TooManyConnectionsError", "ConnectionFailureError"}
)


def _raised_in_database_stack(tb: TracebackType | None) -> bool:
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.startswith(_DATABASE_MODULES):
            return True
        tb = tb.tb_next
    return False


def database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    connecting = isinstance(exc, OSError | TimeoutError) or (
        type(exc).__name__ in _ASYNCPG_CONNECT_ERRORS and type(exc).__module__.startswith("asyncpg")
    )
    return connecting and _raised_in_database_stack(exc.__traceback__)
