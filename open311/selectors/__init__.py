from open311.selectors.georeport import (
    Jurisdiction,
    RequestFilters,
    attribute_definitions,
    community_ids_for,
    find_jurisdiction,
    public_request,
    request_detail,
    requests_list,
    service_list,
)

__all__ = [
    "Jurisdiction",
    "RequestFilters",
    "attribute_definitions",
    "find_jurisdiction",
    "community_ids_for",
    "public_request",
    "request_detail",
    "requests_list",
    "service_list",
]
