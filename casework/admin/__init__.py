"""The Django admin: the whole domain for system administrators, scoped by role for everyone else.

Who may do what in it is decided by `casework.access` (see `access.ADMIN_ACCESS`); `base.py` applies it.
"""

from casework.admin import audit, cases, organisations, records, reports, services, signin_records

__all__ = ["audit", "cases", "organisations", "records", "reports", "services", "signin_records"]
