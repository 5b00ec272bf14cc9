"""The legal and programme landscape: countries, frameworks, provisions, programmes, armed groups.

Maintained by system administrators; read by everyone signed in. Nothing here describes a person.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.fields import MultipleChoiceField


class Country(models.Model):
    code = models.CharField(
        _("ISO code"), max_length=2, unique=True, help_text=_("ISO 3166-1 alpha-2, e.g. KZ.")
    )
    name = models.CharField(_("name"), max_length=100, unique=True)
    is_central_asian = models.BooleanField(
        _("Central Asian state"),
        default=False,
        help_text=_("Countries of origin and return that this system is built for."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.code = (self.code or "").upper()
        if len(self.code) != 2 or not self.code.isalpha():
            raise ValidationError({"code": _("Use the two-letter ISO 3166-1 code, e.g. KZ.")})


class Region(models.Model):
    """A first-level subdivision (oblast, viloyat, city of republican significance…)."""

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="regions")
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("ISO 3166-2 code"), max_length=6, blank=True, help_text=_("e.g. KZ-ALA; blank if unknown.")
    )

    class Meta:
        ordering = ["country__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["country", "name"], name="region_unique_name_per_country"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country.code})" if self.country_id else self.name


class ArmedGroup(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArmedGroupAlias(models.Model):
    """Another name under which the same group is known (transliterations, abbreviations)."""

    group = models.ForeignKey(ArmedGroup, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("alias"), max_length=150, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("armed group aliases")

    def __str__(self) -> str:
        return self.name


class SourcedMixin(models.Model):
    source = models.CharField(
        _("source"), max_length=300, blank=True, help_text=_("Where this information comes from.")
    )
    source_url = models.URLField(_("source URL"), blank=True)
    is_illustrative = models.BooleanField(
        _("illustrative"),
        default=False,
        help_text=_(
            "Set when this entry summarises secondary sources and has not been checked "
            "against the official text."
        ),
    )

    class Meta:
        abstract = True


class LegalFramework(SourcedMixin):
    class Kind(models.TextChoices):
        CRIMINAL_LAW = "criminal_law", _("Criminal law")
        AMNESTY = "amnesty", _("Amnesty")
        REPATRIATION = "repatriation_programme", _("Repatriation programme")
        REINTEGRATION = "reintegration_programme", _("Reintegration programme")
        ADMINISTRATIVE = "administrative_measure", _("Administrative measure")
        AGREEMENT = "agreement", _("Regional or international agreement")

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("In force")
        AMENDED = "amended", _("Amended")
        REPEALED = "repealed", _("Repealed")
        DRAFT = "draft", _("Draft")

    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        related_name="frameworks",
        null=True,
        blank=True,
        help_text=_("Empty only for regional or international agreements."),
    )
    parties = models.ManyToManyField(
        Country,
        blank=True,
        related_name="agreements",
        help_text=_("For agreements: the states that are party to it."),
    )
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.IN_FORCE)
    adopted_on = models.DateField(_("adopted"), null=True, blank=True)
    repealed_on = models.DateField(_("repealed"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        ordering = ["country__name", "title"]
        constraints = [
            models.UniqueConstraint(fields=["country", "title"], name="framework_unique_title_per_country"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.country.code})" if self.country_id else self.title

    def clean(self) -> None:
        errors = {}
        if self.kind != self.Kind.AGREEMENT and not self.country_id:
            errors["country"] = _("A national framework needs its country.")
        if self.status == self.Status.REPEALED and not self.repealed_on:
            errors["repealed_on"] = _("A repealed framework needs the date it was repealed.")
        if self.repealed_on and self.status != self.Status.REPEALED:
            errors["status"] = _("Set the status to repealed, or clear the repeal date.")
        if self.adopted_on and self.repealed_on and self.repealed_on < self.adopted_on:
            errors["repealed_on"] = _("A framework cannot be repealed before it was adopted.")
        if errors:
            raise ValidationError(errors)


class Provision(SourcedMixin):
    class Category(models.TextChoices):
        CRIMINALISATION = "criminalisation", _("Criminalisation of joining a foreign terrorist organisation")
        VOLUNTARY_RETURN_EXEMPTION = (
            "voluntary_return_exemption",
            _("Exemption for voluntary return or repentance"),
        )
        AMNESTY = "amnesty", _("Amnesty")
        PROBATION_MONITORING = "probation_monitoring", _("Probation and monitoring")
        DERADICALISATION = "deradicalisation", _("Deradicalisation obligation")
        CITIZENSHIP = "citizenship", _("Citizenship measures")
        CHILD_PROTECTION = "child_protection", _("Child protection")
        CLOSED_TRIAL = "closed_trial", _("Closed trial")
        REPATRIATION = "repatriation", _("Repatriation")
        REHABILITATION = "rehabilitation", _("Rehabilitation and reintegration support")
        COOPERATION = "cooperation", _("Intelligence sharing and border cooperation")

    class AppliesTo(models.TextChoices):
        ADULTS = "adults", _("Adults")
        MINORS = "minors", _("Minors")
        WOMEN = "women", _("Women")
        MEN = "men", _("Men")
        NATIONALS = "nationals", _("Nationals abroad")

    framework = models.ForeignKey(LegalFramework, on_delete=models.CASCADE, related_name="provisions")
    article = models.CharField(
        _("article or clause"), max_length=50, blank=True, help_text=_("Blank where not verified.")
    )
    title = models.CharField(_("title"), max_length=300)
    category = models.CharField(_("category"), max_length=40, choices=Category.choices)
    applies_to = MultipleChoiceField(_("applies to"), choices=AppliesTo.choices, blank=True)
    penalty_min_years = models.DecimalField(
        _("minimum penalty (years)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    penalty_max_years = models.DecimalField(
        _("maximum penalty (years)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        ordering = ["framework", "article", "title"]

    def __str__(self) -> str:
        return f"{self.article} — {self.title}" if self.article else self.title

    def clean(self) -> None:
        if (
            self.penalty_min_years is not None
            and self.penalty_max_years is not None
            and self.penalty_min_years > self.penalty_max_years
        ):
            raise ValidationError(
                {"penalty_max_years": _("The maximum penalty cannot be below the minimum.")}
            )


class Programme(SourcedMixin):
    class Kind(models.TextChoices):
        STATE_REPATRIATION = "state_repatriation", _("State-led repatriation")
        AMNESTY = "amnesty", _("Amnesty campaign")
        COURT_SUPERVISED = "court_supervised", _("Court-supervised return")
        REINTEGRATION = "reintegration", _("Reintegration programme")
        NGO = "ngo", _("NGO programme")

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="programmes")
    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    start_year = models.PositiveSmallIntegerField(
        _("start year"), null=True, blank=True, validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    end_year = models.PositiveSmallIntegerField(
        _("end year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1990), MaxValueValidator(2100)],
        help_text=_("Blank while the programme is ongoing."),
    )
    description = models.TextField(_("description"), blank=True)
    frameworks = models.ManyToManyField(LegalFramework, blank=True, related_name="programmes")

    class Meta:
        ordering = ["country__name", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValidationError({"end_year": _("A programme cannot end before it starts.")})


class ReportedFigure(models.Model):
    """A public figure reported for a programme or a country, with its source and its certainty."""

    class Qualifier(models.TextChoices):
        EXACT = "exact", _("exactly")
        MORE_THAN = "more_than", _("more than")
        ABOUT = "about", _("about")
        RANGE = "range", _("between")

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="figures", null=True, blank=True
    )
    country = models.ForeignKey(
        Country,
        on_delete=models.CASCADE,
        related_name="figures",
        null=True,
        blank=True,
        help_text=_("Empty for region-wide figures."),
    )
    label = models.CharField(_("what is counted"), max_length=200)
    qualifier = models.CharField(_("qualifier"), max_length=10, choices=Qualifier.choices)
    value = models.PositiveIntegerField(_("value"))
    value_high = models.PositiveIntegerField(
        _("upper value"), null=True, blank=True, help_text=_("Only for a range.")
    )
    is_estimate = models.BooleanField(_("estimate"), default=True)
    as_of_year = models.PositiveSmallIntegerField(_("as of year"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300)
    source_url = models.URLField(_("source URL"), blank=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return f"{self.label}: {self.display_value}"

    @property
    def display_value(self) -> str:
        if self.qualifier == self.Qualifier.RANGE:
            text = f"{self.value:,}–{self.value_high:,}"
        elif self.qualifier == self.Qualifier.EXACT:
            text = f"{self.value:,}"
        else:
            text = f"{self.get_qualifier_display()} {self.value:,}"
        return f"{text} (estimate)" if self.is_estimate else text

    def clean(self) -> None:
        errors = {}
        if self.qualifier == self.Qualifier.RANGE:
            if self.value_high is None:
                errors["value_high"] = _("A range needs its upper value.")
            elif self.value_high < self.value:
                errors["value_high"] = _("The upper value must not be below the value.")
        elif self.value_high is not None:
            errors["value_high"] = _("Only a range has an upper value.")
        if errors:
            raise ValidationError(errors)
