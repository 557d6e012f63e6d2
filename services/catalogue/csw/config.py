"""pycsw's configuration, built in code from the deployment settings.

No file is read and no request parameter chooses anything here: the adapter passes this
mapping to every ``pycsw.server.Csw`` it builds, with the request's own endpoint URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from services.settings import Settings

REPOSITORY = "services.catalogue.csw.repository.IndexRepository"
MAX_RECORDS = 10   # pycsw's default and maximum page (CITE expects a default of 10)


def pycsw_config(settings: Settings, platforms: tuple[str, ...] = ()
                 ) -> Mapping[str, Mapping[str, str]]:
    """Everything but ``server.url``, which depends on the request (see :func:`with_url`)."""
    sections = {
        "server": {
            "home": ".",  # pycsw overwrites it with its own install folder
            "mimetype": "application/xml",  # OWSLib spots an exception only without a charset
            "encoding": "UTF-8",
            "language": "en-US",
            "maxrecords": str(MAX_RECORDS),
            "pretty_print": "false",
            "domainquerytype": "list",
            "domaincounts": "false",
            "spatial_ranking": "false",
            "profiles": "apiso",
        },
        "manager": {"transactions": "false", "allowed_ips": ""},
        "metadata:main": {
            "identification_title": f"{settings.service_title} catalogue",
            "identification_abstract": "Collections and products of the eoscope archive "
                                       "(Earth-observation rasters), served from the live "
                                       "product index.",
            "identification_keywords": ",".join(["earth observation", *platforms, "catalogue",
                                                 "CSW"]),
            "identification_keywords_type": "theme",
            "identification_fees": "None",
            "identification_accessconstraints": "None",
            "provider_name": settings.contact_organization,
            "provider_url": settings.public_url or "",
            "contact_name": settings.contact_person,
            "contact_position": settings.contact_person,
            "contact_address": "",
            "contact_city": "",
            "contact_stateorprovince": "",
            "contact_postalcode": "",
            "contact_country": "",
            "contact_phone": "",
            "contact_fax": "",
            "contact_email": settings.contact_email,
            "contact_url": settings.public_url or "",
            "contact_hours": "",
            "contact_instructions": "",
            "contact_role": "pointOfContact",
        },
        "repository": {"source": REPOSITORY, "table": "records"},
    }
    return MappingProxyType({name: MappingProxyType(values) for name, values in sections.items()})


def with_url(config: Mapping[str, Mapping[str, str]], url: str) -> dict[str, dict[str, str]]:
    """A fresh, mutable copy for one request (pycsw writes into its configuration)."""
    copy = {name: dict(values) for name, values in config.items()}
    copy["server"]["url"] = url
    return copy
