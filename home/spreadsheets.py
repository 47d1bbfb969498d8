"""Cells of the CSV files the admin exports (statistics, the organization library)."""

# A cell a spreadsheet would run as a formula. Organization names come from onboarding
# requests (R4), typed by anyone signed in; "=HYPERLINK(...)" in an export would be a link
# or a formula its reader never wrote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value):
    """`value` for a CSV cell: a string a spreadsheet would take for a formula gets a
    leading apostrophe, the usual mark of text (OWASP's advice for CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# Excel (and WPS) read a CSV without a byte order mark in the system's code page, GBK on a
# Chinese Windows: every name came out garbled.
BOM = "\ufeff"


class ExcelCsvMixin:
    """For Wagtail's SpreadsheetExportMixin views: the CSV starts with the BOM."""

    def stream_csv(self, queryset):
        yield BOM
        yield from super().stream_csv(queryset)
