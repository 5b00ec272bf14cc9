"""QuerySet methods that ask the access module (casework/access.py) what a user may see."""

from django.db import models


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        from casework import access

        return access.restrict_cases(self, user)


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, user):
        from casework import access

        return access.restrict_households(self, user)


class CaseRecordQuerySet(models.QuerySet):
    """Referrals, assessments and proceedings: visible exactly when their case is."""

    def visible_to(self, user):
        from casework import access

        return access.restrict_cases(self, user, prefix="case__")


class CaseNoteQuerySet(models.QuerySet):
    def visible_to(self, user):
        from casework import access

        return access.restrict_notes(self, user)
