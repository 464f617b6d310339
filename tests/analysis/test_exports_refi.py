"""Issue 15: the project as REFI-QDA files, built from the models. The writer
itself is tested in test_refi.py; here, that a real project (masked texts,
two coders, passages and whole answers, categories, memos) exports to a .qdpx
the REFI-QDA schema accepts, that the codings land on the right text, that
only included texts leave, and that every download is audited."""

import hashlib
import io
import zipfile
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from analysis.models import Category, CoderText, Coding, Memo, Text
from analysis.refi_codebook import read_qdc
from audit.models import AuditEvent
from tests.analysis.factories import (
    CodeFactory,
    analyst,
    member,
    project_of,
    reflection,
)
from tests.analysis.test_refi import schema
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.usefixtures("frozen_now")
P = "{urn:QDA-XML:project:1.0}"


@pytest.fixture
def exported(db, site, as_user):
    a, b = analyst("coder_a", site), analyst("coder_b", site)
    jay = ParticipantFactory(site=site, preferred_name="Jay")
    reflection(participant=jay, text="Jay said 😀 the mentor role felt clearer.")
    reflection(participant=jay, text="Nothing to say about the role.")
    project = project_of(a, site)
    member(project, b)
    kept, dropped = project.texts.order_by("pk")
    kept.screening, dropped.screening = Text.Screening.INCLUDED, Text.Screening.EXCLUDED
    kept.save()
    dropped.save()
    role = Category.objects.create(project=project, name="Mentor role")
    clear = CodeFactory(project=project, category=role, name="Role clarity")
    other = CodeFactory(project=project, name="Other")
    start = kept.body.index("the mentor")
    Coding.objects.create(
        text=kept, coder=a, code=clear, start=start, end=start + 10, codebook_version=1
    )
    Coding.objects.create(text=kept, coder=b, code=other, codebook_version=1)
    Coding.objects.create(text=dropped, coder=a, code=other, codebook_version=1)
    for coder in (a, b):
        CoderText.objects.create(text=kept, coder=coder, finished_at=timezone.now())
    Memo.objects.create(project=project, author=b, text=kept, body="Ask about this.")
    response = as_user(a).get(reverse("analysis_qdpx", args=[project.pk]))
    return project, kept, response


def test_the_qdpx_validates_and_carries_the_included_text_with_its_codings(exported):
    project, kept, response = exported
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.qdpx"')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    qde = archive.read("project.qde")
    schema().validate(ElementTree.fromstring(qde))
    root = ElementTree.fromstring(qde)
    sources = root.findall(f"{P}Sources/{P}TextSource")
    assert [s.get("guid") for s in sources] == [str(kept.guid)]  # excluded left out
    body = archive.read(f"sources/{kept.guid}.txt").decode("utf-8")
    assert body == kept.body and "Jay" not in body  # masked in the snapshot
    spans = sorted(
        body[int(sel.get("startPosition")) : int(sel.get("endPosition"))]
        for sel in sources[0].iter(f"{P}PlainTextSelection")
    )
    assert spans == sorted(["the mentor", body])  # a passage and a whole answer
    users = {u.get("name") for u in root.iter(f"{P}User")}
    assert {"coder_a", "coder_b"} <= users
    cases = {c.get("name") for c in root.iter(f"{P}Case")}
    assert cases == {kept.participant_key, kept.mentor_key}
    assert [n.findtext(f"{P}PlainTextContent") for n in root.iter(f"{P}Note")] == [
        "Ask about this."
    ]


def test_each_download_is_audited_with_its_checksum(exported, as_user):
    project, _kept, response = exported
    event = AuditEvent.objects.filter(action="analysis.export").get()
    assert event.details["format"] == "qdpx"
    assert event.details["sha256"] == hashlib.sha256(response.content).hexdigest()


def test_the_codebook_downloads_as_qdc_and_reads_back(exported, as_user):
    project, _kept, _response = exported
    response = as_user(project.created_by).get(
        reverse("analysis_qdc", args=[project.pk])
    )
    codebook = read_qdc(response.content)
    (category, other) = codebook.codes
    assert (category.name, category.is_codable) == ("Mentor role", False)
    assert [c.name for c in category.children] == ["Role clarity"]
    assert other.name == "Other"


def test_a_stranger_gets_404_and_nothing_is_audited_as_an_export(
    exported, site, as_user
):
    project = exported[0]
    stranger = analyst("stranger", site)
    for name in ("analysis_qdpx", "analysis_qdc"):
        response = as_user(stranger).get(reverse(name, args=[project.pk]))
        assert response.status_code == 404
    assert AuditEvent.objects.filter(action="analysis.export").count() == 1


# --- importing a .qdc --------------------------------------------------------------
OTHER_TOOL = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0">
  <Codes>
    <Code guid="{2B9A1F0E-1111-4A2B-8C3D-000000000001}" name="Boundaries"
          isCodable="false">
      <Code guid="2b9a1f0e-1111-4a2b-8c3d-000000000002" name="Saying no" color="#F00">
        <Description>When the mentor turns down a request.</Description>
      </Code>
      <Code guid="2b9a1f0e-1111-4a2b-8c3d-000000000003" name="Friendship">
        <Code guid="2b9a1f0e-1111-4a2b-8c3d-000000000004" name="Gifts"/>
      </Code>
    </Code>
    <Code guid="2b9a1f0e-1111-4a2b-8c3d-000000000005" name="other"/>
  </Codes>
</CodeBook>"""


def _upload(client, project, data: bytes, reason: str = "Codes from the pilot"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("analysis_qdc_import", args=[project.pk]),
        {"file": SimpleUploadedFile("pilot.qdc", data), "reason": reason},
    )


def test_a_qdc_from_another_tool_becomes_one_codebook_version(exported, as_user):
    from analysis.models import Code, CodebookVersion

    project = exported[0]
    response = _upload(as_user(project.created_by), project, OTHER_TOOL)
    assert response.status_code == 302
    version = CodebookVersion.objects.filter(project=project).latest("number")
    assert version.reason == "Codes from the pilot"
    imported = {
        c.name: c for c in Code.objects.filter(project=project, added_in=version.number)
    }
    # "other" is skipped: the codebook already has "Other" (names ignore case).
    assert set(imported) == {"Saying no", "Friendship", "Friendship / Gifts"}
    assert imported["Saying no"].category.name == "Boundaries"
    assert imported["Saying no"].definition == "When the mentor turns down a request."
    assert imported["Saying no"].color == "#ff0000"
    assert str(imported["Saying no"].guid) == "2b9a1f0e-1111-4a2b-8c3d-000000000002"
    assert "Imported without a definition" in imported["Friendship"].definition
    assert AuditEvent.objects.filter(action="analysis.codebook.import").count() == 1


def test_our_own_qdc_round_trips_into_another_project(exported, as_user, site):
    from analysis.models import Code

    project = exported[0]
    lead = as_user(project.created_by)
    qdc = lead.get(reverse("analysis_qdc", args=[project.pk])).content
    second = project_of(project.created_by, site, name="Second")
    assert _upload(lead, second, qdc).status_code == 302
    names = set(Code.objects.filter(project=second).values_list("name", flat=True))
    assert names == {"Role clarity", "Other"}
    # The GUIDs are taken already (by the first project): new ones are made.
    assert not Code.objects.filter(
        project=second, guid__in=Code.objects.filter(project=project).values("guid")
    ).exists()


@pytest.mark.parametrize(
    "data",
    [
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaa">]><CodeBook/>',
        b"<Project xmlns='urn:QDA-XML:project:1.0'/>",
    ],
)
def test_a_bad_file_is_refused_next_to_the_field_and_the_reason_is_kept(
    exported, as_user, data
):
    from analysis.models import CodebookVersion

    project = exported[0]
    before = CodebookVersion.objects.filter(project=project).count()
    response = _upload(as_user(project.created_by), project, data, reason="Keep me")
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert "Keep me" in response.content.decode()
    assert CodebookVersion.objects.filter(project=project).count() == before


def test_only_the_lead_imports(exported, as_user, site):
    project = exported[0]
    coder = project.members.exclude(user=project.created_by).get().user
    assert _upload(as_user(coder), project, OTHER_TOOL).status_code == 403


def test_with_blinding_a_text_still_being_coded_leaves_without_codings_or_memos(
    exported, as_user
):
    """Blinding holds through the .qdpx too: while coder_b is still on the
    text, coder_a's download shows neither b's codes nor b's memo (nor a's
    own: the file is the project's, not the coder's)."""
    project, kept, _response = exported
    CoderText.objects.filter(text=kept, coder__username="coder_b").update(
        finished_at=None
    )
    response = as_user(project.created_by).get(
        reverse("analysis_qdpx", args=[project.pk])
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    root = ElementTree.fromstring(archive.read("project.qde"))
    schema().validate(root)
    assert [s.get("guid") for s in root.iter(f"{P}TextSource")] == [str(kept.guid)]
    assert list(root.iter(f"{P}PlainTextSelection")) == []
    assert list(root.iter(f"{P}Note")) == []
