"""GIN indexes that let PostgreSQL serve FerretDB's pushed-down equalities; the only code that knows SQL and tables."""
# FerretDB 1.24 sends an equality on `field` as `_jsonb->'field' @> value` (a dotted path as `_jsonb #> '{a,b}'`).
# Its own btree indexes cannot serve `@>` (upstream FerretDB #4646), so every query would read the whole table;
# a GIN index on the same expression can. We make one for `_id` and for every field a document declares an
# index on. They live and die with FerretDB's table, so they are made again whenever collections are created.
import hashlib
import json

import psycopg
from mongoengine import Document
from mongoengine.base import _document_registry
from psycopg import sql
from pymongo.errors import CollectionInvalid

METADATA_TABLE = "_ferretdb_database_metadata"
MAX_NAME = 63  # PostgreSQL silently truncates longer identifiers
LOCK_KEY = 0x706C6467  # serialises concurrent start-ups (gunicorn workers) in this PostgreSQL database


def _documents():
    return [cls for cls in _document_registry.values() if issubclass(cls, Document) and not cls._meta.get("abstract")]


def declared_fields():
    """Map each collection to the fields to index: `_id`, then each field named in the documents' index specs."""
    wanted = {}
    for cls in _documents():
        fields = wanted.setdefault(cls._get_collection_name(), ["_id"])
        for spec in cls._meta.get("index_specs") or []:
            fields.extend(name for name, _direction in spec["fields"] if name not in fields)
    return wanted


def index_name(table, field):
    """A stable name that fits PostgreSQL's 63 bytes and says which field it serves."""
    name = f"{table}_{field.replace('.', '_')}_gin"
    if len(name) <= MAX_NAME and name.isascii():
        return name
    return f"{table[:40]}_{hashlib.sha1(field.encode()).hexdigest()[:10]}_gin"


def expression(field):
    """The expression FerretDB filters on for `field`, as SQL."""
    if "." in field:
        return sql.SQL("(_jsonb #> {})").format(sql.Literal("{" + ",".join(field.split(".")) + "}"))
    return sql.SQL("(_jsonb -> {})").format(sql.Literal(field))


def ensure(database, postgres_url):
    """Create each missing collection of `database`, then each missing GIN index; return how many indexes were made."""
    if not postgres_url:  # MongoDB, or a server whose PostgreSQL is not ours: nothing to do
        return 0
    wanted = declared_fields()
    for name in wanted.keys() - set(database.list_collection_names()):
        try:
            database.create_collection(name)
        except CollectionInvalid:
            pass  # another worker created it meanwhile
    with psycopg.connect(postgres_url, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        absent = _missing(conn, database.name, wanted)
        for table, field in absent:
            conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin ({})").format(
                sql.Identifier(index_name(table, field)), sql.Identifier(database.name, table), expression(field)))
    _adopt_indexed(database)
    return len(absent)


def _adopt_indexed(database):
    """Let each document whose collection already has all its declared indexes skip MongoEngine's createIndexes.

    MongoEngine sends one createIndexes per declared index on a process's first use of each collection; FerretDB
    answers each in 3–150 ms (loaded county machine), so a gunicorn worker's first pledge details page sent 48 of
    them and took 3.4 s against 1.2 s after. One listIndexes per collection at start-up tells which are complete;
    MongoEngine still makes the missing ones, and checks again after it reconnects.
    """
    present = {}
    for cls in _documents():
        name = cls._get_collection_name()
        if cls._get_db().name != database.name:
            continue
        if name not in present:
            present[name] = {(tuple(index["key"].items()), bool(index.get("unique")))
                             for index in database[name].list_indexes()}
        specs = cls._meta.get("index_specs") or []
        if all((tuple(spec["fields"]), bool(spec.get("unique"))) in present[name] for spec in specs):
            automatic = cls._meta.get("auto_create_index", True)
            cls._meta["auto_create_index"] = False
            try:
                cls._get_collection()
            finally:
                cls._meta["auto_create_index"] = automatic


def missing(database, postgres_url):
    """The (collection, field) pairs whose GIN index does not exist (a collection without a table lacks them all)."""
    wanted = declared_fields()
    with psycopg.connect(postgres_url) as conn:
        tables = _tables(conn, database.name)
        present = _present(conn, database.name)
    return [(collection, field) for collection, fields in wanted.items() for field in fields
            if collection not in tables or index_name(tables[collection], field) not in present]


def explain_equality(database, postgres_url, collection, field, value):
    """PostgreSQL's plan for the SQL FerretDB 1.24 sends for {field: value} (a string or an ObjectId)."""
    with psycopg.connect(postgres_url) as conn:
        table = _tables(conn, database.name)[collection]
        rows = conn.execute(sql.SQL("EXPLAIN SELECT _jsonb FROM {} WHERE _jsonb->%s @> %s").format(
            sql.Identifier(database.name, table)), (field, json.dumps(str(value)))).fetchall()
    return "\n".join(row[0] for row in rows)


def index_scans(database, postgres_url, collection, field):
    """How many times PostgreSQL has used the GIN index of `field` (statistics lag up to a few seconds)."""
    with psycopg.connect(postgres_url) as conn:
        name = index_name(_tables(conn, database.name)[collection], field)
        row = conn.execute("SELECT idx_scan FROM pg_stat_user_indexes WHERE schemaname = %s AND indexrelname = %s",
                           (database.name, name)).fetchone()
    return row[0] if row else 0


def _missing(conn, schema, wanted):
    tables, present = _tables(conn, schema), _present(conn, schema)
    return [(tables[collection], field) for collection, fields in wanted.items() if collection in tables
            for field in fields if index_name(tables[collection], field) not in present]


def _tables(conn, schema):
    """FerretDB's map of collection name to (hashed) table name in the database's schema; {} before it has any."""
    exists = conn.execute("SELECT to_regclass(%s)", (sql.Identifier(schema, METADATA_TABLE).as_string(conn),)).fetchone()[0]
    if exists is None:
        return {}
    return dict(conn.execute(sql.SQL("SELECT _jsonb->>'_id', _jsonb->>'table' FROM {}").format(
        sql.Identifier(schema, METADATA_TABLE))).fetchall())


def _present(conn, schema):
    return {row[0] for row in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", (schema,))}
