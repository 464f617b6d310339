"""One export request, one preview (issue 12): a direct CSV export from the page
reads the export right once and previews once. Before issue 12 the same
request ran the preview three times (the page, the service, the writer): 34
queries; now 24."""

import pytest
from django.urls import reverse

from exports import files, request, rows_copy
from tests.exports.test_export import data, export_dir  # noqa: F401 (fixtures)
from tests.exports.test_export_jobs import _body, grant


@pytest.fixture(autouse=True)
def _files(export_dir):  # noqa: F811
    return export_dir


@pytest.fixture
def python_rows(monkeypatch):
    # The ORM row source on every database, so the count is the same on
    # SQLite and PostgreSQL (COPY statements bypass Django's query log).
    monkeypatch.setattr(rows_copy, "use_copy", lambda sets: False)


def test_direct_csv_export_previews_once(
    data,  # noqa: F811
    staff,
    as_user,
    python_rows,
    monkeypatch,
):
    grant(staff, "coded")
    calls = []
    for module in (request, files):
        real = module.export_preview

        def spy(*args, real=real, **kwargs):
            calls.append(kwargs["level"])
            return real(*args, **kwargs)

        monkeypatch.setattr(module, "export_preview", spy)

    response = as_user(staff).post(
        reverse("export_page"), {"level": "coded", "format": "csv"}
    )

    assert response.status_code == 200
    assert response["X-Export-Rows"] == str(len(data["nyc"]))
    assert calls == ["coded"]


def test_direct_csv_export_queries(
    data,  # noqa: F811
    staff,
    as_user,
    python_rows,
    django_assert_num_queries,
):
    grant(staff, "coded")
    client = as_user(staff)
    # session, user, roles (groups), export right: the request reads it once;
    # the preview: 1 aggregate + 3 option lists; the export's row (INSERT);
    # the writer: 3 option lists, participant and mentor pseudonyms, 1 batch
    # of ids with its 3 option links and its rows, the next (empty) batch;
    # done: savepoint, UPDATE of the row, audit row, release.
    with django_assert_num_queries(24):
        response = client.post(
            reverse("export_page"), {"level": "coded", "format": "csv"}
        )
        _body(response)
    assert response.status_code == 200
