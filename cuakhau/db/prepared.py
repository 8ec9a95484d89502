"""Statements on the hottest paths, written with the ORM, compiled once per database connection.

Django compiles a queryset to SQL every time it runs. For the few reads of a checkpoint
confirmation (the trip row under its lock, the timeline, the audit chain's head) that compilation
cost about ten times the SQL itself in SQLite (≈ 0.5 ms against ≈ 0.03 ms for a six-table join);
a booking's dozen statements likewise. A `PreparedRead` is still an ORM queryset — tables, columns,
joins and row conversion all come from the models — compiled once per connection with stand-in values
for its arguments (twice, with two sets of stand-ins: the parameters that differ are the arguments);
each call runs the cached SQL with the real arguments in their places and converts the rows exactly
as `QuerySet.values()` does. `PreparedQuerysetUpdate` does the same for a `filter(…).update(…)`.

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

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections
from django.db.models import Field, Model, QuerySet
from django.db.models.sql import UpdateQuery

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Each statement is compiled twice, with two sets of stand-in values: the parameters that differ are the
# arguments. Ints stay within every integer column's range (the ORM refuses a lookup beyond it).
_TRIAL_INTS = (11_111, 22_222)
_TRIAL_MOMENTS = (dt.datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=dt.UTC),
                  dt.datetime(2002, 3, 4, 5, 6, 7, 8, tzinfo=dt.UTC))


def _kind(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str | dt.date):
        raise TypeError(f"a prepared statement takes int, str, date or datetime arguments, not {value!r}")
    if isinstance(value, dt.datetime):  # before date: a datetime is also a date
        if settings.USE_TZ and value.tzinfo is None:
            raise ValueError(f"give an aware datetime, not {value!r}")
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    return "int" if isinstance(value, int) else "str"


def _stand_in(kind: str, index: int, trial: int) -> Any:
    """The value argument number `index` of this kind stands in as in compilation `trial` (0 or 1)."""
    if kind == "int":
        return _TRIAL_INTS[trial] + index
    if kind == "str":
        return f"prepared argument {index} ({trial})"
    if kind == "datetime":
        return _TRIAL_MOMENTS[trial] + dt.timedelta(seconds=index)
    return _TRIAL_MOMENTS[trial].date() + dt.timedelta(days=index)


def _adapter(kind: str, connection: Any) -> Callable[[Any], Any] | None:
    """How the ORM adapts a value of this kind compared with a column of the same kind (None: as it is)."""
    if kind == "datetime":
        return connection.ops.adapt_datetimefield_value  # type: ignore[no-any-return]
    if kind == "date":
        return connection.ops.adapt_datefield_value  # type: ignore[no-any-return]
    return str if kind == "str" else None  # a choices member (a str subclass) as its plain value


Slots = list[tuple[bool, Any]]  # per parameter: (is an argument, its name or the constant)


class _Arguments:
    """The stand-ins a statement is compiled with, where the arguments landed, and how to put real values there."""

    def __init__(self, shape: tuple[tuple[str, str], ...], connection: Any) -> None:
        self.adapters = {name: _adapter(kind, connection) for name, kind in shape}
        self.trials = [{name: _stand_in(kind, index, trial) for index, (name, kind) in enumerate(shape)}
                       for trial in (0, 1)]

    def _adapted(self, trial: int) -> dict[Any, str]:
        found = {}
        for name, value in self.trials[trial].items():
            adapt = self.adapters[name]
            found[adapt(value) if adapt else value] = name
        return found

    def slots(self, compiled: list[tuple[str, Sequence[Any]]]) -> Slots:
        """The slots from the two compilations' SQL and parameters; each argument exactly once, as it is."""
        (sql, params), (other_sql, other_params) = compiled
        if sql != other_sql or len(params) != len(other_params):
            raise ValueError("the statement's text depends on its arguments (a slice, a list of them?)")
        adapted = self._adapted(0), self._adapted(1)
        slots: Slots = []
        for value, other in zip(params, other_params, strict=True):
            if type(value) is type(other) and value == other:
                slots.append((False, value))
                continue
            try:
                names = adapted[0].get(value), adapted[1].get(other)
            except TypeError:  # unhashable
                names = None, None
            if names[0] is None or names[0] != names[1]:
                raise ValueError(f"a parameter depends on the arguments but is none of them as given ({value!r}): "
                                 f"compare each argument as it is with a column of its kind")
            slots.append((True, names[0]))
        used = sorted(name for is_argument, name in slots if is_argument)
        if used != sorted(self.adapters):
            raise ValueError(f"each argument must be a parameter exactly once, got {used} for {sorted(self.adapters)}")
        return slots

    def params(self, slots: Slots, arguments: dict[str, Any]) -> list[Any]:
        params = []
        for is_argument, value in slots:
            if is_argument:
                adapt = self.adapters[value]
                value = adapt(arguments[value]) if adapt else arguments[value]
            params.append(value)
        return params


def _shape(arguments: dict[str, Any]) -> tuple[tuple[str, str], ...] | None:
    """The arguments' names and kinds, or None if an int argument is beyond any 64-bit column."""
    shape = tuple(sorted((name, _kind(value)) for name, value in arguments.items()))
    if any(kind == "int" and not _INT64_MIN <= arguments[name] <= _INT64_MAX for name, kind in shape):
        return None
    return shape


def server_prepares(connection: Any) -> bool:
    """Whether `prepared_cursor` prepares statements on this connection's server."""
    return (connection.vendor == "postgresql" and _PreparingCursor is not None
            and bool(settings.PG_PREPARED_STATEMENTS))


def prepared_cursor(connection: Any) -> Any:
    """A cursor, wrapped as Django wraps its own (errors, query logging, thread checks) and used the same way
    (`with prepared_cursor(connection) as cursor:`), that prepares each statement on the server on
    PostgreSQL; Django's usual cursor elsewhere."""
    if not server_prepares(connection):
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:  # Django turns preparing off; only this cursor asks for it
        raw.prepare_threshold = 0
    return connection._prepare_cursor(_PreparingCursor(raw))


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

    The builder takes keyword arguments of type int, str, date or (aware) datetime, uses each one as a
    parameter exactly once, compared as it is with a column of its kind (`=`, `<`, `__in=[…]`; not
    `__startswith`, not `__date`: the statement's parameter would no longer be the argument), and returns
    a `values()` queryset. Dates and datetimes are adapted at each call as the ORM adapts them for such a
    column. An int argument no 64-bit column can hold matches no row (as the ORM's lookups decide), so it
    gives an empty result rather than a database error. `select_for_update()` is allowed: the read then
    must run inside a transaction, as the ORM requires.
    """

    def __init__(self, build: Callable[..., QuerySet[Any, Any]], using: str = DEFAULT_DB_ALIAS):
        self.build = build
        self.using = using

    def __call__(self, **arguments: Any) -> list[dict[str, Any]]:
        shape = _shape(arguments)
        if shape is None:
            return []
        connection = connections[self.using]
        statements: dict[tuple[PreparedRead, tuple[tuple[str, str], ...]], _Statement] = \
            connection.__dict__.setdefault("_prepared_reads", {})
        # Keyed by the object, not its id(): an id is reused once its object is gone (a test's builder).
        key = (self, shape)
        statement = statements.get(key)
        if statement is None:
            statement = statements[key] = _Statement.compile(self.build, shape, connection, self.using)
        return statement.run(connection, arguments)


def columns(model: type[Model], prefix: str = "") -> list[str]:
    """The `values()` names of every column of `model` reached through `prefix` (e.g. "registration__"),
    for a `PreparedRead` whose rows become model instances (see `instance`)."""
    return [prefix + name for name in _attnames(model)]


def instance(model: type[Model], row: dict[str, Any], prefix: str = "", using: str = DEFAULT_DB_ALIAS) -> Any:
    """The `model` instance of a `PreparedRead` row read with `columns(model, prefix)`, as the ORM builds it."""
    names = _attnames(model)
    return model.from_db(using, names, [row[prefix + name] for name in names])


@functools.cache
def _attnames(model: type[Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


class _Statement:
    def __init__(self, sql: str, arguments: _Arguments, slots: Slots, compiler: Any, names: list[str],
                 locks: bool):
        self.sql = sql
        self.arguments = arguments
        self.slots = slots
        self.compiler = compiler
        self.names = names
        self.locks = locks
        # What `compiler.results_iter()` works out at every call, worked out once: the fields' converters.
        fields = [selected[0] for selected in compiler.select[0:compiler.col_count]]
        self.converters = compiler.get_converters(fields)
        if compiler.has_composite_fields(fields):
            raise NotSupportedError("PreparedRead does not read composite primary keys")

    @classmethod
    def compile(cls, build: Callable[..., QuerySet[Any, Any]], shape: tuple[tuple[str, str], ...], connection: Any,
                using: str) -> _Statement:
        arguments = _Arguments(shape, connection)
        compiled, compilers = [], []
        for stand_ins in arguments.trials:
            query = build(**stand_ins).using(using).query
            if not query.values_select and not query.annotation_select:
                raise TypeError("PreparedRead needs a values() queryset")
            compilers.append(query.get_compiler(using=using))
            compiled.append(compilers[-1].as_sql())
        names = list(query.selected) if query.selected else [
            *query.extra_select, *query.values_select, *query.annotation_select]
        return cls(compiled[0][0], arguments, arguments.slots(compiled), compilers[0], names,
                   bool(query.select_for_update))

    def run(self, connection: Any, arguments: dict[str, Any]) -> list[dict[str, Any]]:
        if self.locks and connection.features.has_select_for_update and connection.get_autocommit():
            raise RuntimeError("a locking read must run inside a transaction")
        with prepared_cursor(connection) as cursor:
            cursor.execute(self.sql, self.arguments.params(self.slots, arguments))
            rows: Any = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in rows]


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
        return self.statement(where, values).run()

    def statement(self, where: tuple[Any, ...], values: dict[str, Any]) -> Write:
        """The UPDATE and its parameters, not yet run: e.g. for `crossings.audit.record_change`, which on
        PostgreSQL sends it in one statement with others."""
        if len(where) != len(self.where) or any(value is None for value in where):
            raise ValueError(f"give a value that is not None for each of {self.where}")
        connection = connections[self.using]
        statements: dict[tuple[Any, ...], tuple[str, list[Field[Any, Any] | None], list[Field[Any, Any]]]] = \
            connection.__dict__.setdefault("_prepared_writes", {})
        shape = tuple((name, isinstance(value, Increment)) for name, value in values.items())
        key = (self, shape)
        compiled = statements.get(key)
        if compiled is None:
            # The statement, and per value the field that adapts it (None: an increment, passed as it is).
            compiled = statements[key] = (self._sql(connection, shape), [
                None if increments else _column(self.model, name) for name, increments in shape],
                [_column(self.model, name) for name in self.where])
        sql, value_fields, where_fields = compiled
        params: list[Any] = [value.by if field is None else field.get_db_prep_save(_key(value), connection)
                             for field, value in zip(value_fields, values.values(), strict=True)]
        params += [field.get_db_prep_value(_key(value), connection)
                   for field, value in zip(where_fields, where, strict=True)]
        return Write(sql, params, self.using)

    def _sql(self, connection: Any, shape: tuple[tuple[str, bool], ...]) -> str:
        quote = connection.ops.quote_name
        assignments = []
        for name, increments in shape:
            column = quote(_column(self.model, name).column)
            assignments.append(f"{column} = {column} + %s" if increments else f"{column} = %s")
        conditions = [f"{quote(_column(self.model, name).column)} = %s" for name in self.where]
        return (f"UPDATE {quote(self.model._meta.db_table)} SET {', '.join(assignments)} "  # noqa: S608 - names from the model
                f"WHERE {' AND '.join(conditions)}")


@dataclass(frozen=True)
class Write:
    """One `UPDATE … WHERE …` statement (it ends with its conditions) and its parameters."""

    sql: str
    params: list[Any]
    using: str = DEFAULT_DB_ALIAS

    def run(self) -> int:
        """Rows changed."""
        with prepared_cursor(connections[self.using]) as cursor:
            cursor.execute(self.sql, self.params)
            return cursor.rowcount


class PreparedQuerysetUpdate:
    """An ORM `filter(…).update(…)` compiled once per connection, for conditional updates on the hottest
    paths (an hour's place taken only `WHERE booked < capacity`), where `PreparedUpdate`'s equalities
    are not enough.

    `PreparedQuerysetUpdate(lambda slot_id: (HourSlot.objects.filter(pk=slot_id, booked__lt=F("capacity")),
    {"booked": F("booked") + 1}))(slot_id=7)` → rows changed. The builder's arguments follow
    `PreparedRead`'s rules (each used once, as it is; the values set may use them too, e.g. `F(…) + by`).
    """

    def __init__(self, build: Callable[..., tuple[QuerySet[Any, Any], dict[str, Any]]],
                 using: str = DEFAULT_DB_ALIAS) -> None:
        self.build = build
        self.using = using

    def __call__(self, **arguments: Any) -> int:
        shape = _shape(arguments)
        if shape is None:
            raise ValueError(f"an int argument beyond any 64-bit column: {arguments}")
        connection = connections[self.using]
        statements: dict[tuple[Any, ...], tuple[str, _Arguments, Slots]] = \
            connection.__dict__.setdefault("_prepared_writes", {})
        key = (self, shape)
        statement = statements.get(key)
        if statement is None:
            statement = statements[key] = self._compile(shape, connection)
        sql, compiled, slots = statement
        with prepared_cursor(connection) as cursor:
            cursor.execute(sql, compiled.params(slots, arguments))
            return cursor.rowcount

    def _compile(self, shape: tuple[tuple[str, str], ...], connection: Any) -> tuple[str, _Arguments, Slots]:
        arguments = _Arguments(shape, connection)
        compiled = []
        for stand_ins in arguments.trials:
            queryset, values = self.build(**stand_ins)
            # What QuerySet.update() runs, stopped before execution.
            query: Any = queryset.using(self.using).query.chain(UpdateQuery)
            query.add_update_values(values)
            query.clear_select_clause()
            if query.related_updates or query.is_sliced:
                raise NotSupportedError("PreparedQuerysetUpdate updates one table, unsliced")
            sql, params = query.get_compiler(self.using).as_sql()
            if not sql:
                raise ValueError("give at least one value to set")
            compiled.append((sql, params))
        return compiled[0][0], arguments, arguments.slots(compiled)


@functools.cache
def _column(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.concrete:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field


def _key(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


def insert_rows(instances: Sequence[Model], using: str = DEFAULT_DB_ALIAS, *, read_keys: bool = False,
                update_conflicts: tuple[tuple[str, ...], tuple[str, ...]] | None = None) -> None:
    """`INSERT` rows of one model in one statement, values adapted by their fields as `save()` adapts them,
    without `save()`'s or `bulk_create()`'s machinery (signals, batching, compiling at every call).

    For rows written on the hottest paths (audit events, which carry their own id; a new trip's
    checkpoints; a booking; a registration). An instance without a primary key gets one from the database;
    with `read_keys` it is read back into the instance (`RETURNING`, as `bulk_create()` does), else it keeps
    `pk = None` in memory. `update_conflicts=(unique fields, fields to update)` makes it an upsert
    (`ON CONFLICT … DO UPDATE SET …`, as `bulk_create(update_conflicts=True, …)`): a row that exists takes
    the new values of those fields, and `read_keys` reads back its primary key. The statement is built once
    per connection, row count and shape."""
    if not instances:
        return
    model = type(instances[0])
    with_pk = instances[0].pk is not None
    if any(type(instance) is not model or (instance.pk is not None) != with_pk for instance in instances):
        raise ValueError("insert rows of one model, all with or all without their primary key")
    connection = connections[using]
    returning = read_keys and not with_pk
    if returning and not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover - old SQLite
        unique, update = update_conflicts or ((), ())
        model._base_manager.using(using).bulk_create(instances, update_conflicts=bool(update_conflicts),
                                                      unique_fields=unique or None, update_fields=update or None)
        return
    fields = [field for field in model._meta.concrete_fields if with_pk or not field.primary_key]
    statements: dict[tuple[Any, ...], str] = connection.__dict__.setdefault("_prepared_writes", {})
    key = ("insert", model, with_pk, len(instances), returning, update_conflicts)
    sql = statements.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        row = f"({', '.join(['%s'] * len(fields))})"
        sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 - names from the model
               f"VALUES {', '.join([row] * len(instances))}")
        if update_conflicts:
            unique_columns, update_columns = ([quote(_column(model, name).column) for name in names]
                                              for names in update_conflicts)
            if not unique_columns or not update_columns:
                raise ValueError("name the unique fields and at least one field to update")
            sql += (f" ON CONFLICT ({', '.join(unique_columns)}) DO UPDATE SET "
                    + ", ".join(f"{column} = EXCLUDED.{column}" for column in update_columns))
        if returning:
            sql += f" RETURNING {quote(model._meta.pk.column)}"
        statements[key] = sql
    # pre_save gives each field's value as save() would (auto_now_add stamps included).
    params = [field.get_db_prep_save(field.pre_save(instance, True), connection)
              for instance in instances for field in fields]
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall() if returning else ()
    for index, instance in enumerate(instances):
        if returning:
            instance.pk = keys[index][0]
        instance._state.adding = False
        instance._state.db = using
