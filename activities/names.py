import unicodedata


def normalize_name(text):
    """A comparison key for activity names: full-width forms folded (NFKC), case folded,
    spaces, punctuation and symbols dropped, so "2026 全国科普日·主场活动" and
    "2026全国科普日主场活动！" compare equal."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(
        char for char in folded if unicodedata.category(char)[0] not in {"Z", "P", "S", "C"}
    )
