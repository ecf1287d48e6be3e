"""Database-level guard: no two entitlements of one household in force on the same date.

Installed by a migration with `install` (and removed with `uninstall`); see the docstring of
`beneficiaries.models.entitlements` for why it takes this shape on each database.
"""

TABLE = "beneficiaries_entitlement"
IN_FORCE = "('active', 'suspended')"
OVERLAP_MESSAGE = "entitlement_overlap"

POSTGRES_INSTALL = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE {TABLE} ADD CONSTRAINT entitlement_no_overlap EXCLUDE USING gist (
        household_id WITH =, daterange("start", "end", '[]') WITH &&
    ) WHERE (status IN {IN_FORCE})""",
]
POSTGRES_UNINSTALL = [f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS entitlement_no_overlap"]


def _sqlite_trigger(event: str, exclude_self: str) -> str:
    return f"""CREATE TRIGGER IF NOT EXISTS entitlement_no_overlap_{event.lower()}
    BEFORE {event} ON {TABLE}
    WHEN NEW.status IN {IN_FORCE}
    BEGIN
        SELECT RAISE(ABORT, '{OVERLAP_MESSAGE}') WHERE EXISTS (
            SELECT 1 FROM {TABLE} other
            WHERE other.household_id = NEW.household_id {exclude_self}
              AND other.status IN {IN_FORCE}
              AND other."start" <= NEW."end" AND NEW."start" <= other."end"
        );
    END"""


SQLITE_INSTALL = [_sqlite_trigger("INSERT", ""), _sqlite_trigger("UPDATE", "AND other.id <> NEW.id")]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS entitlement_no_overlap_insert",
    "DROP TRIGGER IF EXISTS entitlement_no_overlap_update",
]


def _run(schema_editor, statements_by_vendor: dict[str, list[str]]) -> None:
    for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def install(apps, schema_editor) -> None:
    """Idempotent: a later migration that rebuilds the table on SQLite (which drops its
    triggers) calls it again."""
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = 'entitlement_no_overlap'")
            if cursor.fetchone():
                return
    _run(schema_editor, {"postgresql": POSTGRES_INSTALL, "sqlite": SQLITE_INSTALL})


def uninstall(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": POSTGRES_UNINSTALL, "sqlite": SQLITE_UNINSTALL})


def is_overlap_error(exc: Exception) -> bool:
    """Whether an IntegrityError is this guard's refusal (exclusion or trigger)."""
    text = str(exc)
    return "entitlement_no_overlap" in text or OVERLAP_MESSAGE in text
