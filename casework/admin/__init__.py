"""The Django admin for system administrators: data entry for the whole domain."""

from casework.admin import audit, cases, organisations, records, services

__all__ = ["audit", "cases", "organisations", "records", "services"]
