"""The catalogue: records from the registry and the index, OpenSearch, downloads, MEP client API."""
