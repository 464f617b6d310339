"""The one formula neutraliser (EXP-5, AUD-4): cells of the research export and
of the audit CSV that a spreadsheet could read as a formula get a leading '.

Text already starting with ' gets one too, so removing one ' always gives the
text back (`unneutralise`). The export's COPY path does the same in SQL
(`exports.column_types.nz_sql`); PostgreSQL text never holds NUL."""

DANGEROUS_FIRST = frozenset("=+-@\t\r\0'")


def neutralise(text: str) -> str:
    """One leading ' for text a spreadsheet could read as a formula (and for text
    already starting with ', so removing one ' always gives the text back)."""
    if text and text[0] in DANGEROUS_FIRST:
        return "'" + text
    return text


def unneutralise(text: str) -> str:
    """The text as typed, from an exported cell."""
    return text[1:] if text.startswith("'") else text
