"""A lock so that two workers never run the same job at once.

On PostgreSQL it is a transaction-level advisory lock (`pg_try_advisory_xact_lock`): taken
inside the job's transaction, released by the commit or the rollback, and by the server when the
worker's connection dies, so a killed worker never leaves a stale lock behind. It needs no
Redis. On SQLite the project opens every transaction with `BEGIN IMMEDIATE` (see settings),
which already serialises writers: a second run waits for the first and then finds nothing to
change, since every job is idempotent. The function then always answers True.
"""
import zlib

from django.db import connection

#: First half of the advisory lock key: "EPIC", so our locks are recognisable in pg_locks.
LOCK_NAMESPACE = 0x45504943


def lock_id(name: str) -> int:
    """A stable 32-bit signed id for a lock name (the second half of the advisory key)."""
    value = zlib.crc32(name.encode())
    return value - 2**32 if value >= 2**31 else value


def try_job_lock(name: str) -> bool:
    """Take the lock `name` until the end of the current transaction; False if another holds it.

    Must be called inside `transaction.atomic()`.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("try_job_lock() must be called inside a transaction.")
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, lock_id(name)])
        return bool(cursor.fetchone()[0])
