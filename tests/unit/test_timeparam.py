"""TIME values against a layer's dates."""

from __future__ import annotations

import pytest

from services.errors import InvalidDimensionValue
from services.ows.timeparam import contains, latest_of, select

DATES = ["2018-05-01", "2018-05-19", "2018-06-06"]


@pytest.mark.parametrize(("time", "value", "dates"), [
    ("2018-05-19", "2018-05-19", ("2018-05-19",)),
    ("2018-05-19T10:50:31Z", "2018-05-19", ("2018-05-19",)),
    ("2018-05-19T10:50:31.5+02:00", "2018-05-19", ("2018-05-19",)),
    ("current", "2018-06-06", ("2018-06-06",)),
    ("2018-05-10/2018-06-30", "2018-05-10/2018-06-30", ("2018-05-19", "2018-06-06")),
    ("2018-05-01/2018-05-31/P1D", "2018-05-01/2018-05-31", ("2018-05-01", "2018-05-19")),
    ("2018-05-01,2018-06-06", "2018-05-01,2018-06-06", ("2018-05-01", "2018-06-06")),
])
def test_valid_times(time, value, dates):
    selection = select(time, DATES)
    assert (selection.value, selection.dates) == (value, dates)


@pytest.mark.parametrize(("time", "message"), [
    ("2018-05-02", "no data for TIME=2018-05-02; the layer has 3 dates from 2018-05-01 to "
                   "2018-06-06"),
    ("yesterday", "TIME value 'yesterday' is not an ISO 8601 date"),
    ("2018-06-01/2018-05-01", "TIME interval '2018-06-01/2018-05-01' ends before it starts"),
    ("2018-05-01,2019-01-01", "no data for TIME=2019-01-01; the layer has 3 dates from "
                              "2018-05-01 to 2018-06-06"),
    ("a/b/c/d", "TIME value 'a/b/c/d' is not a date or interval"),
])
def test_invalid_times(time, message):
    with pytest.raises(InvalidDimensionValue) as caught:
        select(time, DATES)
    assert caught.value.message == message
    assert caught.value.locator == "TIME"


def test_dates_found_by_bisection_in_a_long_list():
    days = tuple(f"{y}-{m:02d}-{d:02d}" for y in range(1990, 2020) for m in range(1, 13)
                 for d in (1, 11, 21))  # 1,080 dekads, sorted
    assert contains(days, "2005-06-11") and not contains(days, "2005-06-12")
    assert not contains(days, "1989-12-31") and not contains(days, "2020-01-01")
    assert select("2010-01-05/2010-02-11", days).dates == ("2010-01-11", "2010-01-21",
                                                          "2010-02-01", "2010-02-11")
    assert latest_of(days, ("2010-01-11", "2030-01-01")) == "2010-01-11"
    assert latest_of(days[:3], ("2030-01-01",)) is None
