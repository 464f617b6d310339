"""The audit viewer's details column (issue 11, finding 17; SECURITY AUD-4).

An event's details are a JSON object. The viewer showed them as a Python dict
(`{'filters': {...}, 'columns': [...]}`): one export event was about 1,000 px
tall. They are now a definition list: key and value, lists joined, nested
objects indented, long values cut short with the whole text one click away;
always escaped. The CSV export keeps the raw JSON."""

import csv
import datetime as dt
import io
import json
import re

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from tests.conftest import NOW

DETAIL_SHORT = 80  # audit.views.DETAIL_SHORT
COLUMNS = [f"column_number_{n}" for n in range(40)]
DETAILS = {
    "export": 7,
    "rows": 399,
    "level": "coded",
    "filters": {"sites": [1, 2], "since": None, "include_voided": False},
    "columns": COLUMNS,
    "reason": "<script>alert(1)</script>",
}


@pytest.fixture(autouse=True)
def _pinned_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def export_event(db):
    return AuditEvent.objects.create(
        at=dt.datetime(2026, 11, 19, 12, tzinfo=dt.UTC),
        action="export.finished",
        details=DETAILS,
    )


def _page(client) -> str:
    response = client.get(reverse("audit_list"), {"action": "export.finished"})
    return response.content.decode()


def _details_cell(html: str) -> str:
    match = re.search(r'<td class="audit-details-cell">(.*?)</td>', html, re.S)
    assert match, "no details cell"
    return match[1]


def test_details_are_a_definition_list_not_a_python_dict(
    as_user, admin_user, export_event
):
    """Issue 11 finding 17: the viewer shows "rows" and its value as a term and
    its description, not "{'rows': 399, ...}"."""
    html = _page(as_user(admin_user))
    cell = _details_cell(html)
    assert "{&#x27;" not in cell and "{'" not in cell
    assert re.search(r"<dt>rows</dt>\s*<dd>399</dd>", cell)
    assert re.search(r"<dt>level</dt>\s*<dd>coded</dd>", cell)


def test_nested_objects_are_indented_lists_and_lists_are_joined(
    as_user, admin_user, export_event
):
    """Issue 11 finding 17: `filters` is a nested list of its own keys."""
    cell = _details_cell(_page(as_user(admin_user)))
    nested = re.search(r"<dt>filters</dt>\s*<dd>\s*<dl[^>]*>(.*?)</dl>", cell, re.S)
    assert nested
    assert re.search(r"<dt>sites</dt>\s*<dd>1, 2</dd>", nested[1])
    assert re.search(r"<dt>since</dt>\s*<dd>—</dd>", nested[1])
    assert re.search(r"<dt>include_voided</dt>\s*<dd>no</dd>", nested[1])


def test_long_values_are_cut_short_with_the_whole_text_available(
    as_user, admin_user, export_event
):
    """Issue 11 finding 17: the 40 column names take one line, not a page;
    the whole list is inside a <details> element."""
    cell = _details_cell(_page(as_user(admin_user)))
    columns = re.search(
        r"<dt>columns</dt>\s*<dd><details><summary><span[^>]*>(.*?)</span>.*?"
        r"</summary>(.*?)</details>",
        cell,
        re.S,
    )
    assert columns
    assert len(columns[1].strip()) <= DETAIL_SHORT + 1
    assert ", ".join(COLUMNS) in columns[2]


def test_details_are_escaped(as_user, admin_user, export_event):
    """Issue 11 finding 17: details are user-influenced text: escaped."""
    html = _page(as_user(admin_user))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _details_cell(html)


def test_csv_export_keeps_the_raw_json(as_user, admin_user, export_event):
    """Issue 11 finding 17: only the page is made readable; the CSV keeps the
    details as JSON, whole."""
    response = as_user(admin_user).get(
        reverse("audit_export"), {"action": "export.finished"}
    )
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    )
    assert [json.loads(row["details"]) for row in rows] == [DETAILS]


def test_audit_details_helper():
    """Issue 11 finding 17: the rows the template renders."""
    from audit.views import DETAIL_SHORT as short
    from audit.views import audit_details

    assert short == DETAIL_SHORT
    items = audit_details(
        {"b": [1, "x"], "a": {"c": True, "d": []}, "e": [{"f": 1}], "g": None}
    )
    assert [item.key for item in items] == ["a", "b", "e", "g"]
    a, b, e, g = items
    assert [(i.key, i.text) for i in a.children] == [("c", "yes"), ("d", "—")]
    assert (b.text, b.children) == ("1, x", ())
    assert [(i.key, [(j.key, j.text) for j in i.children]) for i in e.children] == [
        ("1", [("f", "1")])
    ]
    assert g.text == "—"
    assert audit_details({}) == []
    assert audit_details("not an object")[0].text == "not an object"


def test_the_scrolling_table_is_a_focusable_named_region(
    as_user, admin_user, export_event
):
    """Issue 11 finding 17 (axe scrollable-region-focusable): keyboard users
    can scroll the wide table."""
    html = _page(as_user(admin_user))
    region = re.search(r'<div class="table-responsive"([^>]*)>', html)
    assert region
    assert 'tabindex="0"' in region[1]
    assert 'role="region"' in region[1]
    assert "aria-label=" in region[1]
