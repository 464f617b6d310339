"""Zip files without the clock: every entry carries one fixed time, so the same
export gives the same bytes (the workbook and the data package alike)."""

from __future__ import annotations

import os
import shutil
import zipfile

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed: the same export gives the same bytes


class FixedTimeZip(zipfile.ZipFile):
    """A zip whose every entry carries _ZIP_TIME. openpyxl adds parts by name
    (`writestr`) and the write-only sheets from temporary files (`write`); both
    would stamp the current time or the file's mtime on the entry."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = fixed_zip_info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        info = fixed_zip_info(arcname or os.path.basename(filename))
        info.file_size = os.path.getsize(filename)  # decides ZIP64 up front
        with open(filename, "rb") as source, self.open(info, "w") as member:
            shutil.copyfileobj(source, member, 1024 * 1024)


def fixed_zip_info(name: str) -> zipfile.ZipInfo:
    """A zip entry with the fixed time, deflated, mode 644 (the workbook's parts
    and the package's files alike)."""
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def zip_member(archive: zipfile.ZipFile, name: str):
    return archive.open(fixed_zip_info(name), "w", force_zip64=True)
