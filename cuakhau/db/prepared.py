"""Reads on the hottest paths, written with the ORM, compiled once per database connection.

Django compiles a queryset to SQL every time it runs. For the few reads of a checkpoint
confirmation (the trip row under its lock, the timeline, the audit chain's head) that compilation
cost about ten times the SQL itself in SQLite (≈ 0.5 ms against ≈ 0.03 ms for a six-table join).
A `PreparedRead` is still an ORM queryset — tables, columns, joins and row conversion all come from
the models — built once with marker values standing in for its arguments; each call runs the
cached SQL with the real arguments in the markers' places and converts the rows exactly as
`QuerySet.values()` does.

The cache lives on the connection object, which Django keeps per thread, so a compiled statement
is never shared between threads or databases.

On PostgreSQL these statements are also prepared on the server (psycopg's server-side binding,
`prepare=True`), so the server parses and plans each of them once per connection rather than on
every call: planning the six-table join of the trip row cost more than running it. Django leaves
prepared statements off by default, for connection poolers in transaction mode that cannot keep
them; set CUAKHAU_PG_PREPARED_STATEMENTS=0 behind such a pooler (PgBouncer before 1.21). The rest
of the ORM keeps Django's client-side binding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model, QuerySet

# Far outside any primary key, so a marker cannot be mistaken for a constant of the query.
_MARKER_BASE = -(2**62)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def server_prepares(connection: Any) -> bool:
    """Whether `prepared_cursor` prepares statements on this connection's server."""
    return (connection.vendor == "postgresql" and _PreparingCursor is not None
            and bool(settings.PG_PREPARED_STATEMENTS))


@contextmanager
def prepared_cursor(connection: Any) -> Iterator[Any]:
    """A cursor (wrapped as Django wraps its own: query logging, thread checks) that prepares each statement
    on the server on PostgreSQL, and Django's usual cursor elsewhere."""
    if not server_prepares(connection):
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:  # Django turns preparing off; only this cursor asks for it
        raw.prepare_threshold = 0
    with connection.wrap_database_errors, connection._prepare_cursor(_PreparingCursor(raw)) as cursor:
        yield cursor


try:
    import psycopg

    class _PreparingCursor(psycopg.Cursor[Any]):
        """Server-side binding, every statement prepared (psycopg keeps the most used 100 per connection)."""

        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,  # type: ignore[override]
                    binary: bool | None = None) -> Any:
            return super().execute(query, params, prepare=True, binary=binary)

        def _send_query_prepared(self, name: bytes, pgq: Any, *, binary: bool | None = None) -> None:
            # psycopg keeps the statement it ran only when it did not run a prepared one; Django's query
            # log (CaptureQueriesContext, DEBUG's connection.queries) reads it from there.
            self._query = pgq
            super()._send_query_prepared(name, pgq, binary=binary)
except ImportError:  # an SQLite-only install
    _PreparingCursor = None  # type: ignore[assignment,misc]


class PreparedRead:
    """`PreparedRead(lambda trip_id: Model.objects.filter(...).values(...))(trip_id=42)` → list of dicts.

    The builder must take only integer keyword arguments, use each one as a parameter exactly once,
    in an equality, and return a `values()` queryset. An argument no 64-bit column can hold matches
    no row (as the ORM's lookups decide), so it gives an empty result rather than a database error.
    `select_for_update()` is allowed: the read then must run inside a transaction, as the ORM requires.
    """

    def __init__(self, build: Callable[..., QuerySet[Any, Any]], using: str = DEFAULT_DB_ALIAS):
        self.build = build
        self.using = using

    def __call__(self, **arguments: int) -> list[dict[str, Any]]:
        if any(not _INT64_MIN <= value <= _INT64_MAX for value in arguments.values()):
            return []
        connection = connections[self.using]
        statements: dict[tuple[int, tuple[str, ...]], _Statement] = connection.__dict__.setdefault(
            "_prepared_reads", {})
        key = (id(self), tuple(sorted(arguments)))
        statement = statements.get(key)
        if statement is None:
            statement = statements[key] = _Statement.compile(self.build, sorted(arguments), self.using)
        return statement.run(connection, arguments)


class _Statement:
    def __init__(self, sql: str, slots: list[tuple[bool, Any]], compiler: Any, names: list[str], locks: bool):
        self.sql = sql
        self.slots = slots  # (is an argument, its name or the constant)
        self.compiler = compiler
        self.names = names
        self.locks = locks

    @classmethod
    def compile(cls, build: Callable[..., QuerySet[Any, Any]], argument_names: list[str],
                using: str) -> _Statement:
        markers = {name: _MARKER_BASE - index for index, name in enumerate(argument_names)}
        queryset = build(**markers).using(using)
        query = queryset.query
        if not query.values_select and not query.annotation_select:
            raise TypeError("PreparedRead needs a values() queryset")
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        by_marker = {marker: name for name, marker in markers.items()}
        slots = [(True, by_marker[p]) if isinstance(p, int) and p in by_marker else (False, p) for p in params]
        used = [name for is_argument, name in slots if is_argument]
        if sorted(used) != sorted(argument_names):
            raise ValueError(f"each argument must be a parameter exactly once, got {used} for {argument_names}")
        names = list(query.selected) if query.selected else [
            *query.extra_select, *query.values_select, *query.annotation_select]
        return cls(sql, slots, compiler, names, bool(query.select_for_update))

    def run(self, connection: Any, arguments: dict[str, int]) -> list[dict[str, Any]]:
        if self.locks and connection.features.has_select_for_update and connection.get_autocommit():
            raise RuntimeError("a locking read must run inside a transaction")
        params = [arguments[value] if is_argument else value for is_argument, value in self.slots]
        with prepared_cursor(connection) as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in self.compiler.results_iter(results=[rows])]


# --- writes -------------------------------------------------------------------------------------

class Increment:
    """`column = column + by` in a `PreparedUpdate` (what `F(name) + by` says to the ORM)."""

    def __init__(self, by: int = 1) -> None:
        self.by = by


class PreparedUpdate:
    """`UPDATE table SET … WHERE column = %s AND …` on one model, for the hottest compare-and-sets.

    `PreparedUpdate(Checkpoint, where=("trip", "name", "state"))(where_values, {"state": …, "note": …})`.
    Table and column names come from the model; every value is adapted by its field exactly as the ORM
    adapts it (`get_db_prep_save`, `get_db_prep_value`); a related object stands for its primary key.
    The statement text is built once per connection and set of columns; returns the rows changed.
    """

    def __init__(self, model: type[Model], *, where: tuple[str, ...], using: str = DEFAULT_DB_ALIAS) -> None:
        self.model = model
        self.where = where
        self.using = using

    def __call__(self, where: tuple[Any, ...], values: dict[str, Any]) -> int:
        if len(where) != len(self.where) or any(value is None for value in where):
            raise ValueError(f"give a value that is not None for each of {self.where}")
        connection = connections[self.using]
        statements: dict[tuple[Any, ...], str] = connection.__dict__.setdefault("_prepared_writes", {})
        shape = tuple((name, isinstance(value, Increment)) for name, value in values.items())
        key = (id(self), shape)
        sql = statements.get(key)
        if sql is None:
            sql = statements[key] = self._sql(connection, shape)
        params: list[Any] = []
        for name, value in values.items():
            field = _column(self.model, name)
            params.append(value.by if isinstance(value, Increment) else field.get_db_prep_save(_key(value), connection))
        for name, value in zip(self.where, where, strict=True):
            params.append(_column(self.model, name).get_db_prep_value(_key(value), connection))
        with prepared_cursor(connection) as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def _sql(self, connection: Any, shape: tuple[tuple[str, bool], ...]) -> str:
        quote = connection.ops.quote_name
        assignments = []
        for name, increments in shape:
            column = quote(_column(self.model, name).column)
            assignments.append(f"{column} = {column} + %s" if increments else f"{column} = %s")
        conditions = [f"{quote(_column(self.model, name).column)} = %s" for name in self.where]
        return (f"UPDATE {quote(self.model._meta.db_table)} SET {', '.join(assignments)} "  # noqa: S608 - names from the model
                f"WHERE {' AND '.join(conditions)}")


def _column(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.concrete:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field


def _key(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


def insert_rows(instances: Sequence[Model], using: str = DEFAULT_DB_ALIAS) -> None:
    """`INSERT` rows of one model in one statement, values adapted by their fields as `save()` adapts them,
    without `save()`'s or `bulk_create()`'s machinery (signals, batching, reading back generated keys).

    For rows written on the hottest paths whose generated keys nobody reads (audit events, which carry
    their own id; a new trip's checkpoints). An instance without a primary key gets one from the
    database and keeps `pk = None` in memory. The statement is built once per connection and row count."""
    if not instances:
        return
    model = type(instances[0])
    with_pk = instances[0].pk is not None
    if any(type(instance) is not model or (instance.pk is not None) != with_pk for instance in instances):
        raise ValueError("insert rows of one model, all with or all without their primary key")
    connection = connections[using]
    fields = [field for field in model._meta.concrete_fields if with_pk or not field.primary_key]
    statements: dict[tuple[Any, ...], str] = connection.__dict__.setdefault("_prepared_writes", {})
    key = ("insert", model, with_pk, len(instances))
    sql = statements.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        row = f"({', '.join(['%s'] * len(fields))})"
        sql = statements[key] = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
                                 f"VALUES {', '.join([row] * len(instances))}")  # names from the model
    # pre_save gives each field's value as save() would (auto_now_add stamps included).
    params = [field.get_db_prep_save(field.pre_save(instance, True), connection)
              for instance in instances for field in fields]
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
    for instance in instances:
        instance._state.adding = False
        instance._state.db = using
