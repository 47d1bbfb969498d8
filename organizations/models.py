from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from activities.text import clean_names

# Province-level units whose districts act as "municipal associations" (市科协) per the guide.
MUNICIPALITY_CODES = frozenset({"110000", "120000", "310000", "500000"})


ENGLISH_NAME_HELP = _("Shown on the English site. When empty, the Chinese name is shown there.")


def name_in_language(name, name_en):
    """The name to show in the current language (R34): the English name on the English
    site when there is one, else the Chinese name. The one rule for regions and the
    managed lists of activities (types, action categories) alike; admin choosers keep the
    Chinese name (__str__)."""
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return name


class Region(models.Model):
    """A GB/T 2260 administrative division. The six-digit code is the key, so filters and
    URLs use the official code directly (?province=440000)."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province-level")
        CITY = "city", _("Prefecture-level")
        COUNTY = "county", _("County-level")

    code = models.CharField(_("code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(
        _("English name"), max_length=100, blank=True, help_text=ENGLISH_NAME_HELP
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return self.name

    @property
    def display_name(self):
        """The name public pages show in the current language (name_in_language)."""
        return name_in_language(self.name, self.name_en)

    @property
    def is_municipality(self):
        return self.code in MUNICIPALITY_CODES


class OrganizationQuerySet(models.QuerySet):
    def certified(self):
        return self.filter(status=Organization.Status.CERTIFIED)

    def pending(self):
        return self.filter(status=Organization.Status.PENDING)


class Organization(models.Model):
    """An entry of the organization library (组织库, R3)."""

    class Category(models.TextChoices):
        MINISTRY = "ministry", _("Ministry or commission")
        PROVINCIAL = "provincial", _("Provincial science association")
        MUNICIPAL = "municipal", _("Municipal science association")
        COUNTY = "county", _("County science association")
        NATIONAL_SOCIETY = "national_society", _("National society")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CERTIFIED = "certified", _("Certified")
        REJECTED = "rejected", _("Rejected")

    # Channels of these categories are reviewed by their province first (R19).
    PROVINCE_REVIEWED = frozenset({Category.PROVINCIAL, Category.MUNICIPAL, Category.COUNTY})

    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, db_index=True
    )
    province = models.ForeignKey(
        Region,
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Region.Level.PROVINCE},
    )
    city = models.ForeignKey(
        Region,
        verbose_name=_("city"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    county = models.ForeignKey(
        Region,
        verbose_name=_("county or district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Region.Level.COUNTY},
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
        db_index=True,
    )
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=60, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organization_requests",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["category", "name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            # A rejected request keeps its row as the record of the decision, and must not
            # stop its requester (or anyone) from asking for the same name again (R4).
            models.UniqueConstraint(
                fields=["name", "category"],
                condition=~models.Q(status="rejected"),
                name="organization_unique_name_per_category",
                violation_error_message=_(
                    "An organization with this name already exists in this category."
                ),
            )
        ]
        indexes = [models.Index(fields=["status", "category"], name="org_status_category")]

    def __str__(self):
        return self.name

    @property
    def is_certified(self):
        return self.status == self.Status.CERTIFIED

    @property
    def is_province_reviewed(self):
        return self.category in self.PROVINCE_REVIEWED

    def clean(self):
        super().clean()
        # Whitespace runs are one space, and invisible characters go: 北京市科学技术协会
        # with a zero-width space was a second association beside the real one (R3, R4).
        errors = clean_names(self, "name", "short_name")
        category = self.category
        province, city, county = self.province, self.city, self.county
        if county is not None and city is None and category != self.Category.MUNICIPAL:
            parent = county.parent
            if parent is not None and parent.level == Region.Level.CITY:
                # The county names its city unambiguously: fill it in rather than complain.
                self.city = city = parent
        in_municipality = province is not None and province.is_municipality

        if province is not None and province.level != Region.Level.PROVINCE:
            errors["province"] = _("Choose a province-level region.")
        if city is not None and city.level != Region.Level.CITY:
            errors["city"] = _("Choose a prefecture-level city.")
        if county is not None and county.level != Region.Level.COUNTY:
            errors["county"] = _("Choose a county or district.")

        if category in self.PROVINCE_REVIEWED and province is None:
            errors["province"] = _("A science association must have a province.")
        if category == self.Category.PROVINCIAL and (city or county):
            errors.setdefault("city", _("A provincial association has no city or county."))
        if category == self.Category.MUNICIPAL:
            # The guide: districts of Beijing, Tianjin, Shanghai and Chongqing pick 市科协.
            if in_municipality and county is None:
                errors.setdefault(
                    "county", _("A municipal association in a municipality needs its district.")
                )
            elif not in_municipality and city is None:
                errors.setdefault("city", _("A municipal association needs its city."))
            elif not in_municipality and county is not None:
                errors.setdefault("county", _("A municipal association has no county."))
        if category == self.Category.COUNTY and county is None:
            errors.setdefault("county", _("A county association needs its county or district."))
        if category == self.Category.COUNTY and in_municipality:
            # The guide: "直辖市有关区县，请首先选择'市科协'". Filed as 区县科协, a district of
            # Beijing was counted apart from the other districts in the statistics (R32).
            errors.setdefault(
                "category",
                _(
                    "District associations of Beijing, Tianjin, Shanghai and Chongqing use the "
                    "municipal association category."
                ),
            )

        if province and city and city.parent_id != province.pk:
            errors.setdefault("city", _("The city is not in the chosen province."))
        if county and city and county.parent_id != city.pk:
            errors.setdefault("county", _("The county is not in the chosen city."))
        elif county and province and not city and county.parent_id != province.pk:
            errors.setdefault(
                "county",
                _("The county is not in the chosen province; choose its city first."),
            )

        if self.status == self.Status.REJECTED and not self.rejection_reason.strip():
            errors["rejection_reason"] = _("Give the reason for the rejection.")

        name_error = self._name_clash()
        if name_error:
            errors.setdefault("name", name_error)
        parent_error = self._parent_error()
        if parent_error:
            errors["parent"] = parent_error
        if errors:
            raise ValidationError(errors)

    def _name_clash(self):
        if not self.name or not self.category or self.status == self.Status.REJECTED:
            return None
        statuses = set(
            Organization.objects.filter(name=self.name, category=self.category)
            .exclude(status=self.Status.REJECTED)
            .exclude(pk=self.pk)
            .values_list("status", flat=True)
        )
        if self.Status.CERTIFIED in statuses:
            return ValidationError(
                _("An organization with this name already exists in this category."),
                code="exists",
            )
        if statuses:
            return ValidationError(
                _(
                    "This organization has already been requested and is waiting for review; "
                    "it can be chosen once an administrator certifies it."
                ),
                code="requested",
            )
        return None

    def _parent_error(self):
        if self.parent_id is None:
            return None
        if self.parent_id == self.pk:
            return ValidationError(_("An organization cannot be its own parent."), code="self")
        parent = self.parent
        if parent.status != self.Status.CERTIFIED:
            return ValidationError(
                _("Choose a certified organization as the parent."), code="uncertified"
            )
        if self.pk is None:
            return None
        # The seen set ends the walk on a loop that older data left above the parent.
        seen = set()
        ancestor_id = parent.parent_id
        while ancestor_id is not None and ancestor_id not in seen:
            if ancestor_id == self.pk:
                return ValidationError(
                    _("%(parent)s is already below this organization, so it cannot be its parent."),
                    code="loop",
                    params={"parent": parent.name},
                )
            seen.add(ancestor_id)
            ancestor_id = (
                Organization.objects.filter(pk=ancestor_id)
                .values_list("parent_id", flat=True)
                .first()
            )
        return None


# The guide's five channel categories (归口单位: 有关部委、省科协、市科协、区县科协、全国学会,
# R10). 其他 is a library category for partner units, not a channel: offered as one, a unit
# certified as 其他 skipped its province's review.
CHANNEL_CATEGORY_CHOICES = [
    (value, label)
    for value, label in Organization.Category.choices
    if value != Organization.Category.OTHER
]
