"""Verifying a certificate PDF: the certificate.json it carries, and whether its printed pages
are those of that certificate. With pypdf the pages are read too; without it (the
inspector's zipapp) the attachment is read by ledger.certificates.pdf_attachment alone.
"""

from __future__ import annotations

import re
from typing import Any

from ledger.certificates.verify import FORMAT_CHECK, PRINTED_CHECK, Check, Report, verify


def verify_pdf(data: bytes, **options: Any) -> Report:
    """Verify the certificate.json attached to a certificate PDF. Without pypdf (the
    inspector's zipapp) the attachment is read by `pdf_attachment` and the printed pages are
    not checked: that needs pypdf's text extraction."""
    try:
        from pypdf import PdfReader
    except ImportError:
        return _verify_pdf_alone(data, **options)
    from io import BytesIO

    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(BytesIO(data))
        found = reader.attachments.get("certificate.json")
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        return _unreadable(f"the file is not a readable PDF: {exc}")
    if not found:
        return _unreadable(NO_ATTACHMENT)
    report = verify(found[0], **options)
    if report.sha256 is not None:
        ok, detail = _printed_pages(reader, report.sha256)
        report.checks.insert(1, Check(PRINTED_CHECK, ok, detail))
    return report


NO_ATTACHMENT = ("the PDF carries no certificate.json attachment: it is not a certificate "
                 "from this system")
PRINTED_UNCHECKED = ("not read: comparing the printed pages with the attachment needs pypdf "
                     "(python3 -m pip install pypdf); check that the paper shows the SHA-256 "
                     "above")


def _verify_pdf_alone(data: bytes, **options: Any) -> Report:
    from ledger.certificates.pdf_attachment import PdfError, attachment

    try:
        found = attachment(data, "certificate.json")
    except PdfError as exc:
        return _unreadable(f"the file is not a readable PDF: {exc}")
    if found is None:
        return _unreadable(NO_ATTACHMENT)
    report = verify(found, **options)
    if report.sha256 is not None:
        report.checks.insert(1, Check(PRINTED_CHECK, None, PRINTED_UNCHECKED))
    return report


def _unreadable(detail: str) -> Report:
    report = Report()
    report.add(FORMAT_CHECK, False, detail)
    return report


def _printed_pages(reader: Any, digest: str) -> tuple[bool, str]:
    """Whether the PDF's pages, as printed, are those of the attached certificate: each page
    has readable text (a damaged content stream reads as none) and the first one prints the
    attachment's SHA-256 (pages of another certificate print another)."""
    from pypdf.errors import PyPdfError

    try:
        texts = ["".join(page.extract_text().split()) for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        return False, f"the printed pages cannot be read ({exc}): do not rely on the paper"
    blank = [i + 1 for i, text in enumerate(texts) if not text]
    if not texts or blank:
        return False, (f"page {blank[0] if blank else 1} of the PDF shows no readable text: "
                       "its content is damaged, so the paper cannot be compared with the "
                       "certified figures")
    if digest not in texts[0]:
        printed = re.findall(r"[0-9a-f]{64}", texts[0])
        other = f" (it prints {printed[0]})" if printed else ""
        return False, (f"the printed pages are not those of the attached certificate "
                       f"{digest}{other}: the paper and the file certify different things")
    return True, f"the first page prints the attachment's SHA-256 {digest}; every page reads"
