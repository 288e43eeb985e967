"""A correction cannot launder a record: the corrected record is judged again, and a
correction that would make it break a rule it did not break before is refused."""

import pytest
from factories import plant, received

from ledger.log import AppendError


def _fix(label: str, target: int, **changes: object):
    return plant("correction", label, {"corrects": target, "reason": "recount",
                                       "approved_by": "M-0001", "set": changes})


@pytest.mark.parametrize(("changes", "rule"), [
    ({"gross_g": 1_000}, "weight_out_of_range"),
    ({"category": "spaceship"}, "unknown_category"),
    ({"nameplate_refrigerant": "R-22"}, "nameplate_refrigerant"),
])
def test_a_correction_that_breaks_a_rule_is_refused(ledger, changes, rule):
    label = "unit:CN3301-2026-0000101"
    intake = ledger.append([plant("unit.received", label, received(
        label, nameplate_refrigerant="R-600a"))])[0].index
    size = ledger.size()
    with pytest.raises(AppendError) as refused:
        ledger.append([_fix(label, intake, **changes)])
    assert refused.value.rule == "correction_breaks_rule"
    assert f"(rule {rule})" in str(refused.value)
    assert ledger.size() == size


def test_a_correction_within_the_rules_is_accepted(ledger):
    label = "unit:CN3301-2026-0000102"
    intake = ledger.append([plant("unit.received", label, received(label))])[0].index
    assert not ledger.append([_fix(label, intake, gross_g=40_000)])[0].existed


def test_a_correction_that_makes_the_event_invalid_is_refused(ledger):
    label = "unit:CN3301-2026-0000103"
    ledger.append([plant("unit.received", label, received(label))])
    recovery = ledger.append([
        plant("cylinder.registered", "cylinder:CYL-T1", {
            "refrigerant": "R-600a", "tare_g": 7_720, "water_capacity_g": 21_600,
            "max_gross_g": 17_241}),
        plant("refrigerant.recovered", label, {
            "refrigerant": "R-600a", "cylinder": "CYL-T1", "cylinder_gross_before_g": 7_720,
            "cylinder_gross_after_g": 7_760, "recovered_g": 40, "scale": "SC-2"})])[1].index
    with pytest.raises(AppendError, match=r"would make entry .* invalid.*recovered_g"):
        ledger.append([_fix(label, recovery, recovered_g=7)])


def _pc(label: str, set_with: str, category: str = "desktop_pc") -> dict:
    nameplate = {"pc_type": "desktop_host"} if category == "desktop_pc" else {"screen_in": 22}
    return {"category": category, "gross_g": 8_000, "scale": "SC-1", "source": "business",
            **nameplate, "set_with": set_with}


def test_a_completed_half_is_not_moved_to_a_set_that_did_not_name_it_then(ledger):
    """A host completed with its monitor, both let go of the set (set_with corrected to null:
    a host alone counts nothing), then a new monitor weighed in naming the host: moving the
    host to it is judged against the other half's intakes below the host's completion
    (ledger/rules/sets.py), and the new monitor came only after it."""
    host, first, second = "unit:PC-0101", "unit:MON-0101", "unit:MON-0102"
    done = ledger.append([
        plant("lot.opened", "lot:LOT-FE", {"fraction": "steel", "hazardous": False}),
        plant("unit.received", host, _pc(host, "MON-0101")),
        plant("unit.received", first, _pc(first, "PC-0101", "flat_monitor")),
        plant("material.output", host, {"fraction": "steel", "mass_g": 5_000, "lot": "LOT-FE",
                                        "scale": "SC-1"}),
        plant("unit.completed", host, {})])
    intake, monitor = done[1].index, done[2].index
    ledger.append([_fix(first, monitor, set_with=None), _fix(host, intake, set_with=None),
                   plant("unit.received", second, _pc(second, "PC-0101", "flat_monitor"))])
    with pytest.raises(AppendError) as refused:
        ledger.append([_fix(host, intake, set_with="MON-0102")])
    assert refused.value.rule == "correction_breaks_rule"
    assert "(rule set_not_paired)" in str(refused.value)
