"""Every code of ledger/rules has its names in both languages, in the codes' own order."""

import pytest

from ledger.rules import codes, reasons


@pytest.mark.parametrize(("names", "order"), [
    (codes.SOURCE_NAMES, codes.SOURCES), (codes.FLAG_NAMES, codes.FLAG_CODES),
    (codes.RESOLUTION_NAMES, codes.RESOLUTIONS), (codes.STATUS_NAMES, codes.STATUSES),
    (codes.COEFFICIENT_VERDICT_NAMES, codes.COEFFICIENT_VERDICTS)])
def test_every_code_has_both_names(names, order):
    assert tuple(names) == order
    for name in names.values():
        assert set(name) == set(reasons.LANGUAGES) and all(name.values())


def test_every_flag_code_has_its_reason():
    assert set(reasons.FLAGS) == set(codes.FLAG_CODES)
