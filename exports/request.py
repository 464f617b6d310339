"""One export as asked for: built once from the page's form (or the command
line, or a queued job), it reads the user's export level once, checks the right
once and previews once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.http import HttpRequest

from exports import files
from exports.files import ExportResult
from exports.filters import ExportFilters
from exports.models import ExportLevel
from exports.preview import Preview, export_preview
from exports.records import export_denied_record
from exports.rights import ExportRefused, export_check, export_level_for, level_allows
from exports.writers.base import Progress


@dataclass
class ExportRequest:
    """Who asks for which logs, at which level, in which format; `granted` is
    the user's export level, read once when the request is built."""

    user: Any
    filters: ExportFilters
    level: str
    fmt: str
    granted: str
    _preview: Preview | None = field(default=None, init=False, repr=False)

    @classmethod
    def build(
        cls,
        *,
        user,
        filters: ExportFilters,
        level: str,
        fmt: str,
        granted: str | None = None,
    ) -> ExportRequest:
        """`granted`: the user's level when the caller has just read it."""
        if granted is None:
            granted = export_level_for(user)
        return cls(user=user, filters=filters, level=level, fmt=fmt, granted=granted)

    @property
    def allowed(self) -> bool:
        """The level asked for is within the user's right (the filters are
        checked by `check`)."""
        return level_allows(self.granted, self.level)

    @property
    def preview(self) -> Preview:
        """The preview, run on first use only. A level above the right is
        previewed as "coded" (the page still says how many rows; the export
        itself is refused by `check`)."""
        if self._preview is None:
            level = self.level if self.allowed else ExportLevel.CODED
            self._preview = export_preview(
                user=self.user, filters=self.filters, level=level
            )
        return self._preview

    def check(self) -> None:
        """Raise ExportRefused unless the user may export this now: the level
        within their right, every filter within their scope."""
        export_check(
            user=self.user, level=self.level, filters=self.filters, granted=self.granted
        )

    def check_or_record(self, *, request: HttpRequest | None = None) -> None:
        """`check`, auditing a refusal before it propagates (page and command;
        a job records its refusal on its own row instead)."""
        try:
            self.check()
        except ExportRefused as exc:
            export_denied_record(
                request=request,
                user=self.user,
                level=self.level,
                fmt=self.fmt,
                filters=self.filters,
                reason=str(exc),
                granted=self.granted,
            )
            raise

    def write(self, out: BinaryIO, *, progress: Progress | None = None) -> ExportResult:
        """The file into `out`. Reuses the preview when this request already ran
        it (a direct export); otherwise the writer previews right before it
        writes (a job, which runs long after it was asked for)."""
        return files.export_write(
            out,
            user=self.user,
            filters=self.filters,
            level=self.level,
            fmt=self.fmt,
            progress=progress,
            preview=self._preview,
        )
