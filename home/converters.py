"""A URL converter for database ids.

Django's `int` converter takes any run of digits; on SQLite a number past 64 bits then
fails inside the database driver (OverflowError, a 500) instead of finding nothing. Ids
here are integer primary keys, at most 2**31 - 1 on PostgreSQL, so a longer or larger
number is not a URL of this site at all: 404, as Wagtail's own admin answers."""

from django.urls import register_converter

MAX_ID = 2**31 - 1


def is_db_id(value):
    """Whether `value` (a string or an int) can be a row's id at all."""
    text = str(value)
    # The length test first: int() itself refuses strings of thousands of digits.
    return len(text) <= 10 and text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


class DatabaseIdConverter:
    regex = "[0-9]{1,10}"

    def to_python(self, value):
        if not is_db_id(value):
            raise ValueError(value)
        return int(value)

    def to_url(self, value):
        return str(value)


def register():
    register_converter(DatabaseIdConverter, "id")
