"""Issue 11 finding 15: the same export request gives the same bytes in every
format, also when the clock moves on between the two exports (README: "same
request, same bytes"; no export timestamp inside the file)."""

import datetime as dt
import hashlib
import io
import zipfile

import pytest
import time_machine

from exports import files
from exports.filters import ExportFilters
from exports.models import ExportLevel
from tests.exports.test_export import data  # noqa: F401 (fixture)

FIRST = dt.datetime(2026, 11, 27, 21, 0, 0, tzinfo=dt.UTC)  # a Friday evening
LATER = FIRST + dt.timedelta(seconds=7)  # past the zip's 2-second resolution


def _export(fmt: str, user, when: dt.datetime) -> bytes:
    with time_machine.travel(when, tick=False):
        out = io.BytesIO()
        files.export_write(
            out, user=user, filters=ExportFilters(), level=ExportLevel.TEXT, fmt=fmt
        )
    return out.getvalue()


def _zip_stamp_at(when: dt.datetime) -> tuple[int, ...]:
    """The time zipfile itself stamps on an entry added by name at `when`."""
    with time_machine.travel(when, tick=False):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("probe.txt", b"x")
    return zipfile.ZipFile(buffer).getinfo("probe.txt").date_time


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "long", "package"])
def test_same_request_gives_the_same_sha256_seconds_apart(data, admin_user, fmt):  # noqa: F811
    """Issue 11 finding 15: two XLSX exports of the same request 2 s apart
    differed (openpyxl wrote the creation time into docProps/core.xml and the
    current time on every zip entry); CSV, long and package must stay equal."""
    # The pause is real to zipfile: time-machine moves the clock it stamps with.
    assert _zip_stamp_at(FIRST) != _zip_stamp_at(LATER)

    first, second = _export(fmt, admin_user, FIRST), _export(fmt, admin_user, LATER)

    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


def test_workbook_carries_no_export_time(data, admin_user):  # noqa: F811
    """Issue 11 finding 15: fixed document times and zip entry times, and the
    workbook still opens with its three sheets."""
    from openpyxl import load_workbook

    body = _export("xlsx", admin_user, FIRST)

    archive = zipfile.ZipFile(io.BytesIO(body))
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert archive.testzip() is None
    core = archive.read("docProps/core.xml").decode()
    assert "2026" not in core
    book = load_workbook(io.BytesIO(body), read_only=True)
    assert book.properties.modified.year == 1980
    assert book.sheetnames == ["logs", "codebook", "about"]
    assert "<dcterms:created" in core and "1980-01-01T00:00:00Z" in core
