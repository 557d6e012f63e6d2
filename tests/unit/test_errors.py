"""The one table of exceptions, rendered per protocol and valid against the official schemas."""

from __future__ import annotations

import pytest
from lxml import etree

from services.errors import (
    Dialect,
    InvalidDimensionValue,
    InvalidSubsetting,
    NoSuchCoverage,
    RequestTooLarge,
    render,
    status_for,
)
from tests.helpers import OWS_20_EXCEPTIONS, WMS_130_EXCEPTIONS, assert_valid


def test_status_table():
    assert status_for("NoSuchCoverage") == 404
    assert status_for("InvalidSubsetting") == 404
    assert status_for("OperationNotSupported") == 501
    assert status_for("LayerNotDefined") == 400
    assert status_for(None) == 400
    assert RequestTooLarge("x").http_status == 413


def test_wms_130_report_is_schema_valid_and_escaped():
    rendered = render(InvalidDimensionValue("bad <TIME> & more", "TIME"), Dialect.WMS_130)
    assert (rendered.status, rendered.content_type) == (400, "text/xml")
    tree = assert_valid(rendered.body, WMS_130_EXCEPTIONS)
    exception = tree.find("{http://www.opengis.net/ogc}ServiceException")
    assert exception.get("code") == "InvalidDimensionValue"
    assert exception.text == "bad <TIME> & more"


@pytest.mark.parametrize("error", [NoSuchCoverage("no such", "coverageId"),
                                   InvalidSubsetting("bad subset", "subset")])
def test_ows_20_report_is_schema_valid(error):
    rendered = render(error, Dialect.OWS_20)
    assert rendered.status == 404
    tree = assert_valid(rendered.body, OWS_20_EXCEPTIONS)
    assert tree.find("{*}Exception").get("exceptionCode") == error.code


def test_wms_111_report_shape():
    rendered = render(InvalidDimensionValue("x"), Dialect.WMS_111)
    assert rendered.content_type == "application/vnd.ogc.se_xml"
    tree = etree.fromstring(rendered.body)
    assert tree.tag == "ServiceExceptionReport" and tree.get("version") == "1.1.1"
