"""Organisations (the unit of isolation) and their users."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.choices import Role


class Organisation(models.Model):
    """An NGO. Every case belongs to exactly one; nobody sees across organisations unless allowed."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=50, unique=True)
    country = models.ForeignKey(
        "policies.Country",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        help_text=_("Where the organisation mainly works."),
    )
    shares_with_analysts = models.BooleanField(
        _("shares anonymised data with analysts"),
        default=False,
        help_text=_("Analysts see anonymised, aggregated data only of organisations that share."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. Holds one role and belongs to at most one organisation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CASEWORKER)

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        indexes = [models.Index(fields=["organisation", "role"], name="user_org_role_idx")]

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def clean(self) -> None:
        super().clean()
        if self.role not in Role.values:
            return  # clean_fields() has already named the invalid choice.
        if self.role_enum.needs_organisation and not self.organisation_id:
            message = _("A user with the role “%(role)s” must belong to an organisation.") % {
                "role": self.role_enum.label
            }
            raise ValidationError({"organisation": message})
        if self.role == Role.SYSTEM_ADMIN and self.organisation_id:
            raise ValidationError(
                {"organisation": _("A system administrator works across organisations; leave this empty.")}
            )
