"""The leads CSV: one code path for the admin's download and `manage.py export_leads`.

The file is meant for a marketer's email tool and for spreadsheets, so:

- UTF-8 with a byte-order mark (Excel otherwise guesses a legacy code page and garbles
  accents and non-Latin names), RFC 4180 quoting and CRLF line ends;
- every text cell whose first character a spreadsheet would read as a formula (``=``,
  ``+``, ``-``, ``@``, tab, carriage return) gets a leading single quote, as OWASP's
  CSV-injection guidance says. The rule is applied to every such cell, even one that
  looks harmless like ``-5`` or ``+44 20``: a simple rule a marketer can predict beats a
  clever one that guesses. Look-alikes count too: the check reads the text NFKC-normalised
  (a full-width equals sign is ``=``) and past any leading spaces and invisible characters (a
  zero-width space), since spreadsheets and import tools may fold or trim those. The cell
  itself keeps its text as stored. NUL characters are removed first (PostgreSQL cannot
  even store them; SQLite can);
- times are ISO 8601 in UTC to the second (``2026-11-29T09:20:38Z``).

On PostgreSQL the rows come from the database's own ``COPY (SELECT ...) TO STDOUT WITH
(FORMAT csv)``, with the neutralisation done in the SELECT: a Python loop over a million
rows is about 20 times slower than COPY. Elsewhere (SQLite) they come from the ORM. Both
paths write byte-identical files for the same rows.
"""

import csv
import datetime as dt
import functools
import io
import itertools
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import F
from psycopg import ClientCursor
from psycopg.abc import Buffer

from certguide.campaign import UTM_KEYS
from leads.models import LeadQuerySet

BOM = "\ufeff".encode()
# Characters that make a spreadsheet evaluate a cell (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Rows are handed on in blocks of about this many bytes: big enough to be cheap,
# small enough that memory stays flat whatever the number of rows.
CHUNK_BYTES = 64 * 1024
# COPY hands over one row at a time; they are shipped in blocks of this many rows: about
# 64 KiB of typical leads, a few MiB at most (every exported field has a maximum length).
COPY_BLOCK_ROWS = 400
ORM_CHUNK_ROWS = 2000
ISO_UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

TEXT, NUMBER, TIME = "text", "number", "time"
# (CSV header, field path from Lead, kind).
COLUMNS: list[tuple[str, str, str]] = [
    ("email", "email", TEXT),
    ("first_name", "first_name", TEXT),
    ("status", "status", TEXT),
    ("outcome", "outcome", TEXT),
    ("csm_score", "attempt__csm_score", NUMBER),
    ("cspo_score", "attempt__cspo_score", NUMBER),
    ("placement", "placement", TEXT),
    *((key, key, TEXT) for key in UTM_KEYS),
    ("consent_at", "consent_at", TIME),
    ("consent_version", "consent_version", TEXT),
    ("created_at", "created_at", TIME),
    ("confirmed_at", "confirmed_at", TIME),
    ("language", "language", TEXT),
]
HEADER = [name for name, _, _ in COLUMNS]


# Skipped before the formula check: spaces, line and paragraph separators, control and
# format characters (zero-width space, bidi marks, BOM). NUL is removed anyway.
SKIPPED_CATEGORIES = ("Cc", "Cf", "Zs", "Zl", "Zp")


# The two character sets below as runs of code points (hex, first-last), written out from
# a scan of every code point in Python's Unicode database (15.1.0): the scan costs about a
# quarter of a second, which every `manage.py export_leads` paid at start. A test scans all
# of Unicode and fails if a Python upgrade moves them.
SKIPPED_CODE_POINTS = """
    0001-0020 007F-00A0 00AD 0600-0605 061C 06DD 070F 0890-0891 08E2 1680 180E
    2000-200F 2028-202F 205F-2064 2066-206F 3000 FEFF FFF9-FFFB 110BD 110CD
    13430-1343F 1BCA0-1BCA3 1D173-1D17A E0001 E0020-E007F
"""
# The triggers not skipped, and the characters NFKC turns into a trigger or a skipped one.
LOOK_ALIKE_CODE_POINTS = """
    002B 002D 003D 0040 00A8 00AF 00B4 00B8 02D8-02DD 037A 0384-0385 1FBD 1FBF-1FC1
    1FCD-1FCF 1FDD-1FDF 1FED-1FEE 1FFD-1FFE 2017 203E 207A 207C 208A 208C 2A75-2A76
    309B-309C FB29 FC5E-FC63 FE49-FE4C FE62-FE63 FE66 FE6B FE70 FE72 FE74 FE76 FE78
    FE7A FE7C FE7E FF0B FF0D FF1D FF20 FFE3
"""


def _characters(code_points: str) -> str:
    characters = []
    for run in code_points.split():
        first, _, last = run.partition("-")
        characters += map(chr, range(int(first, 16), int(last or first, 16) + 1))
    return "".join(characters)


@functools.cache
def skipped_leading_characters() -> str:
    """Every character of SKIPPED_CATEGORIES, for Python's lstrip and SQL's ltrim alike."""
    return _characters(SKIPPED_CODE_POINTS)


@functools.cache
def suspect_first_characters() -> str:
    """The characters a look-alike formula can start with: the skipped ones, the triggers,
    and those NFKC turns into a trigger or a skipped character (full-width and small forms
    of ``=+-@``, spacing accents that NFKC makes a space and an accent...). Any other first
    character decides at once: NFKC leaves it, or what it composes with, a letter or symbol
    that is neither."""
    return skipped_leading_characters() + _characters(LOOK_ALIKE_CODE_POINTS)


def reads_as_formula(value: str) -> bool:
    """True if a spreadsheet could take ``value`` for a formula (see the module docstring).

    Three steps, the same in spreadsheet_safe_sql(): a trigger first is a formula; any
    first character but a suspect (nearly every cell) is not; only the rest is read
    NFKC-normalised past the skipped characters, which costs far more.
    """
    if value.startswith(FORMULA_TRIGGERS):
        return True
    if not value or value[0] not in suspect_first_characters():
        return False
    looks = unicodedata.normalize("NFKC", value).lstrip(skipped_leading_characters())
    return looks.startswith(FORMULA_TRIGGERS)


def neutralise_cell(value: str) -> str:
    """Return ``value`` safe to open in a spreadsheet: NULs removed, formulas defused."""
    value = value.replace("\0", "")
    if reads_as_formula(value):
        return "'" + value
    return value


def export_filename(today: dt.date) -> str:
    return f"certguide-leads-{today.isoformat()}.csv"


def _csv_writer(buffer: io.StringIO) -> Any:
    return csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")


def _cell(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == TEXT:
        return neutralise_cell(value)
    if kind == TIME:
        return value.astimezone(dt.UTC).strftime(ISO_UTC_FORMAT)
    return str(value)


def header_chunk() -> bytes:
    """The first bytes of every export: the BOM and the header row."""
    buffer = io.StringIO()
    _csv_writer(buffer).writerow(HEADER)
    return BOM + buffer.getvalue().encode()


def _unicode_literal(text: str) -> str:
    """``text`` as a PostgreSQL U&'' literal of escapes: plain ASCII SQL for any character."""
    return "U&'" + "".join(f"\\+{ord(ch):06X}" for ch in text) + "'"


def spreadsheet_safe_sql(column: str) -> str:
    """SQL twin of :func:`neutralise_cell` for a text column, in the same steps as
    :func:`reads_as_formula`.

    ascii() is the first character's code point (0 for ''): comparing integers costs
    far less than comparing one-character texts, a million rows over. Nearly every cell
    is decided by the first test alone, one look-up in a list PostgreSQL hashes (0, the
    triggers and the suspects); testing the triggers first, as Python does, cost every
    cell a second test. The empty string becomes NULL because COPY writes ``""`` for an
    empty string but nothing for NULL, while ``csv.writer`` writes nothing for both.
    """
    triggers = ", ".join(str(ord(c)) for c in FORMULA_TRIGGERS)
    suspects = ", ".join(str(code) for code in sorted({0, *map(ord, suspect_first_characters())}))
    skipped = _unicode_literal(skipped_leading_characters())
    quoted = f"'''' || {column}"
    return (
        f"CASE WHEN ascii({column}) NOT IN ({suspects}) THEN {column} "
        f"WHEN {column} = '' THEN NULL "
        f"WHEN ascii({column}) IN ({triggers}) THEN {quoted} "
        f"WHEN ascii(ltrim(normalize({column}, NFKC), {skipped})) IN ({triggers}) "
        f"THEN {quoted} ELSE {column} END"
    )


def iso_utc_sql(column: str) -> str:
    """SQL twin of :data:`ISO_UTC_FORMAT` for a timestamp column.

    The timestamp's own text form (DateStyle ISO, set by the export) with a "T": a
    little cheaper than to_char() over a million rows.
    """
    return f"replace(date_trunc('second', {column} AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z'"


def crlf_block(rows: Sequence[Buffer]) -> bytes:
    """COPY's CSV rows, each ending in ``\\n``, as one block of rows ending in ``\\r\\n``
    like ``csv.writer``'s (RFC 4180). A line break inside a quoted value stays as it is."""
    block = b"".join(rows)
    if block.count(b"\n") == len(rows):  # no value holds a line break
        return block.replace(b"\n", b"\r\n")
    return b"".join(bytes(row[:-1]) + b"\r\n" for row in rows)


class LeadsCsv:
    """The CSV of ``queryset`` as an iterator of byte chunks; counts rows as it goes.

    The first chunk is the BOM and the header row alone, so a download starts at once
    even before the database has produced a row.
    """

    def __init__(self, queryset: LeadQuerySet) -> None:
        self.queryset = queryset.exportable()
        self.row_count = 0

    def __iter__(self) -> Iterator[bytes]:
        yield header_chunk()
        connection = connections[self.queryset.db]
        if connection.vendor == "postgresql":
            yield from self._copy_chunks()
        else:
            yield from self._orm_chunks()

    def _orm_chunks(self) -> Iterator[bytes]:
        kinds = [kind for _, _, kind in COLUMNS]
        rows = self.queryset.values_list(*(path for _, path, _ in COLUMNS))
        buffer = io.StringIO()
        writer = _csv_writer(buffer)
        for row in rows.iterator(chunk_size=ORM_CHUNK_ROWS):
            writer.writerow([_cell(kind, value) for kind, value in zip(kinds, row, strict=True)])
            self.row_count += 1
            if buffer.tell() >= CHUNK_BYTES:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue().encode()

    def copy_statement(self) -> str | None:
        """The ``COPY (SELECT ...) TO STDOUT`` for the queryset, or None if it is empty.

        The SELECT is Django's own SQL for the queryset. COPY cannot take bind
        parameters, so they are inlined by psycopg's client-side binding
        (``ClientCursor.mogrify``), the same quoting Django uses for every query on
        this backend by default.
        """
        # Django's SELECT fetches and joins the raw columns; the outer SELECT sorts
        # them and formats them.
        columns = {f"c{i}": F(path) for i, (_, path, _) in enumerate(COLUMNS)}
        try:
            sql, params = (
                self.queryset.order_by()
                .values(**columns, sort_1=F("created_at"), sort_2=F("id"))
                .query.sql_with_params()
            )
        except EmptyResultSet:
            return None
        connection = connections[self.queryset.db]
        connection.ensure_connection()
        with ClientCursor(connection.connection) as cursor:
            select = cursor.mogrify(sql, params)
        formats = {TEXT: spreadsheet_safe_sql, TIME: iso_utc_sql}
        outer = ", ".join(
            formats[kind](f'leads."c{i}"') if kind in formats else f'leads."c{i}"'
            for i, (_, _, kind) in enumerate(COLUMNS)
        )
        # LIMIT ALL limits nothing, but in a query with a LIMIT PostgreSQL formats the
        # rows after sorting them, not before (sorting the narrow raw rows costs about a
        # quarter less CPU at 1M rows), and its parallel workers format the rows they
        # sorted; an outer query over a sorted subquery left all the formatting to the
        # one process that sends the rows. Nothing user-supplied is interpolated here
        # unquoted: values went through mogrify, and the rest is this module's own SQL.
        return (
            f"COPY (SELECT {outer} FROM ({select}) AS leads "  # noqa: S608
            'ORDER BY leads."sort_1", leads."sort_2" LIMIT ALL) TO STDOUT WITH (FORMAT csv)'
        )

    def _copy_chunks(self) -> Iterator[bytes]:
        statement = self.copy_statement()
        if statement is None:
            return
        connection = connections[self.queryset.db]
        # A savepoint (or a transaction in autocommit): if the download stops half way,
        # psycopg cancels the COPY and the rollback leaves the connection usable.
        with transaction.atomic(using=self.queryset.db), connection.cursor() as cursor:
            cursor.execute("SET LOCAL datestyle = 'ISO'")
            # Compiling this one-pass projection with JIT costs more than it saves.
            cursor.execute("SET LOCAL jit = off")
            # The server's default, 4 MB per sort or hash, suits many small queries; this
            # is one big one, run rarely. At 4 MB, joining a million leads with half as
            # many attempts went through temporary files; at 32 MB it stays in memory.
            cursor.execute("SET LOCAL work_mem = '32MB'")
            with cursor.cursor.copy(statement) as copy:
                for rows in itertools.batched(copy, COPY_BLOCK_ROWS):
                    self.row_count += len(rows)
                    yield crlf_block(rows)
