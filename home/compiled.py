"""Querysets compiled to SQL once per process and run many times with other values.

Django turns a queryset into SQL on every evaluation. For the query that routes an
activity's URL (nine tables, 130 columns, joined so the page needs nothing more) that took
longer than PostgreSQL took to plan and run it: about 1.5 ms of Python per request, most
of it resolving the select list and ORDER BY again. A `CompiledQuery` builds its queryset
once with a marker in place of each value, keeps the SQL and the compiler's description of
its columns, and on each call runs that SQL with the real values. Rows become objects the
way Django's own iterables make them (model instances with their `select_related` objects,
or tuples for `values_list`), through the same database cursor, so query logging and
counting see them as any other query.

A queryset whose SQL depends on more than the marked values (the tree position of a page,
the database in use) is compiled again whenever the caller's `key` changes."""

import threading

from django.db import connections, router
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

MAX_KEYS = 64


class CompiledQuery:
    """`build(*args, **values)` returns a queryset of `model`; `types` name its value
    parameters and their types (str or int). `args` are used only when compiling: `key`
    must change when they would change the SQL.

    Each value is compiled as a marker no caller sends (a string with NUL bytes, a
    negative integer beyond any key), so the parameters it occupies are found by
    equality; a queryset that transforms a value (LIKE patterns, lists) is refused when
    compiled instead of running the wrong SQL."""

    def __init__(self, model, build, **types):
        self._model = model
        self._build = build
        self._types = types
        self._local = threading.local()

    def _markers(self):
        markers = {}
        for number, (name, kind) in enumerate(self._types.items()):
            if kind is str:
                markers[name] = f"\x00compiled:{name}\x00"
            elif kind is int:
                markers[name] = -(2**62) - number
            else:
                raise TypeError(f"{name}: only str and int values are compiled")
        return markers

    def _compile(self, key, args):
        using = router.db_for_read(self._model)
        # Per thread: a compiler holds the connection that compiled it.
        compiled = getattr(self._local, "compiled", None)
        if compiled is None:
            compiled = self._local.compiled = {}
        entry = compiled.get((key, using))
        if entry is not None:
            return entry
        markers = self._markers()
        queryset = self._build(*args, **markers)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = {}
        for name, marker in markers.items():
            slots[name] = [index for index, param in enumerate(params) if param == marker]
            if not slots[name]:
                raise ValueError(f"{name!r} is not a plain parameter of this query")
        if queryset._known_related_objects or queryset._prefetch_related_lookups:
            raise ValueError("known related objects and prefetches are not compiled")
        if queryset._iterable_class not in (ModelIterable, ValuesListIterable):
            raise ValueError("only model instances and values_list tuples are compiled")
        if len(compiled) >= MAX_KEYS:
            compiled.clear()  # keys are tree positions: a handful unless pages move
        entry = compiled[(key, using)] = (
            using,
            compiler,
            sql,
            params,
            slots,
            queryset._iterable_class,
        )
        return entry

    def run(self, key, *args, **values):
        """The rows (objects or tuples, as the queryset would give) for these values."""
        using, compiler, sql, template, slots, iterable = self._compile(key, args)
        params = list(template)
        for name, indexes in slots.items():
            for index in indexes:
                params[index] = values[name]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if compiler.has_extra_select:
            rows = [row[: compiler.col_count] for row in rows]
        rows = compiler.results_iter([rows], tuple_expected=True)
        if iterable is not ModelIterable:
            return list(rows)
        return list(_instances(compiler, rows, using))


def _instances(compiler, rows, using):
    # Django's ModelIterable, after the query has run.
    select, klass_info = compiler.select, compiler.klass_info
    model = klass_info["model"]
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, using)
    annotations = compiler.annotation_col_map
    for row in rows:
        obj = model.from_db(using, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        if annotations:
            for name, position in annotations.items():
                setattr(obj, name, row[position])
        yield obj
