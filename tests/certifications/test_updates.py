import datetime as dt
import itertools

import pytest

from certifications.enums import ProductArea, QuotaUse, RequestKind
from certifications.updates import ChangeSize, deployment_slot, update_path

EXPECTED = {
    # (area, change, vendor_side) -> (kind, quota, code review, sla days, deploys in cycle)
    (ProductArea.PLAYER_PLUGIN, "minor", False): ("docs", "none", False, 14, False),
    (ProductArea.PLAYER_PLUGIN, "major", False): ("docs", "none", False, 14, False),
    (ProductArea.PLAYER_PLUGIN, "minor", True): ("minor", "minor", True, 14, False),
    (ProductArea.PLAYER_PLUGIN, "major", True): ("major", "major", True, 35, False),
}
for area in (ProductArea.MEDIASPACE_MODULE, ProductArea.KAF_MODULE):
    for vendor in (False, True):
        EXPECTED[(area, "minor", vendor)] = ("minor", "minor", True, 14, True)
        EXPECTED[(area, "major", vendor)] = ("major", "major", True, 35, True)
for area in (ProductArea.API_WORKFLOW, ProductArea.OTHER):
    for vendor in (False, True):
        EXPECTED[(area, "minor", vendor)] = ("minor", "minor", True, 14, False)
        EXPECTED[(area, "major", vendor)] = ("major", "major", True, 35, False)


@pytest.mark.parametrize(
    ("area", "change", "vendor"),
    list(
        itertools.product(ProductArea.values, [ChangeSize.MINOR, ChangeSize.MAJOR], [False, True])
    ),
)
def test_update_path_decision_table(area, change, vendor):
    path = update_path(product_area=area, change=change, vendor_side_change=vendor)
    assert (
        path.kind,
        path.quota,
        path.code_review,
        path.sla_days,
        path.deploys_in_cycle,
    ) == EXPECTED[(area, change, vendor)]
    assert path.kind in RequestKind.values
    assert path.quota in QuotaUse.values


def test_update_path_rejects_unknown_change():
    with pytest.raises(ValueError, match="Unknown change size"):
        update_path(product_area=ProductArea.OTHER, change="huge", vendor_side_change=False)


@pytest.mark.parametrize(
    ("certified_on", "deploy_on"),
    [
        (dt.date(2026, 1, 1), dt.date(2026, 1, 5)),  # before the anchor, 4 days ahead: the anchor
        (dt.date(2026, 1, 2), dt.date(2026, 1, 5)),  # exactly on the cut-off (3 days before)
        (dt.date(2026, 1, 3), dt.date(2026, 1, 19)),  # after the cut-off: next cycle
        (dt.date(2026, 1, 5), dt.date(2026, 1, 19)),  # on deployment day itself: next cycle
        (dt.date(2026, 1, 16), dt.date(2026, 1, 19)),  # cut-off day of the second cycle
        (dt.date(2026, 1, 17), dt.date(2026, 2, 2)),  # a day late: the cycle after
        (dt.date(2026, 12, 31), dt.date(2027, 1, 4)),  # across a year boundary
    ],
)
def test_deployment_slot_across_cycle_boundaries(settings, certified_on, deploy_on):
    settings.DEPLOYMENT_CYCLE_ANCHOR = "2026-01-05"
    settings.DEPLOYMENT_CYCLE_DAYS = 14
    settings.DEPLOYMENT_CUTOFF_DAYS = 3
    slot = deployment_slot(certified_on)
    assert slot.deploy_on == deploy_on
    assert slot.cutoff == deploy_on - dt.timedelta(days=3)
    assert (slot.deploy_on - dt.date(2026, 1, 5)).days % 14 == 0
