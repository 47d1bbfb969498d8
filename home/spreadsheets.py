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
