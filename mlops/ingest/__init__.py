"""Ingestion: from an upload under `incoming/<dataset>/` to an immutable data version (or to
quarantine with a report). Pure logic here; AWS access goes through mlops.adapters."""
