from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .validators import normalize_mobile, validate_mainland_mobile, validate_real_name


def refuse_owners_of_activities(user_ids):
    """Page.owner is SET_NULL, so deleting an owner by any path (a script, the shell, a
    future view) would leave their activities with nobody to mail or to correct them. The
    user admin refuses first, with this message (wagtail_hooks, bulk_actions). Raised
    before anything is deleted, like Django's PROTECT, so a caller's transaction stays
    usable."""
    owned = activities_owned(user_ids)
    if owned:
        from activities.models import ActivityPage

        user = User.objects.get(pk=next(iter(owned)))
        raise models.ProtectedError(
            str(owner_kept_message(user, owned[user.pk])),
            set(ActivityPage.objects.filter(owner__in=owned)),
        )


class UserQuerySet(models.QuerySet):
    def delete(self):
        refuse_owners_of_activities(list(self.values_list("pk", flat=True)))
        return super().delete()


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, phone, password, **extra_fields):
        phone = normalize_mobile(phone)
        if not phone:
            raise ValueError("A mobile number is required.")
        validate_mainland_mobile(phone)
        user = self.model(phone=phone, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, phone, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(phone, password, **extra_fields)

    def create_superuser(self, phone, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(phone, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(**{self.model.USERNAME_FIELD: normalize_mobile(username)})


class User(AbstractUser):
    """An account logs in with its mainland mobile number (R1). A Chinese name is one
    field, so Django's first/last name pair is replaced by real_name."""

    username = None
    last_name = None

    phone = models.CharField(
        _("mobile number"),
        max_length=11,
        unique=True,
        validators=[validate_mainland_mobile],
        help_text=_("Mainland China mobile number; it is also the login name."),
        error_messages={"unique": _("An account with this mobile number already exists.")},
    )
    real_name = models.CharField(_("real name"), max_length=50, validators=[validate_real_name])
    is_real_name_verified = models.BooleanField(
        _("real name verified"),
        default=False,
        help_text=_("Set by an administrator after checking the person's identity."),
    )
    province = models.ForeignKey(
        "organizations.Region",
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "province"},
        help_text=_("For province moderators: the province whose activities they review."),
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["real_name"]

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name()

    def save(self, *args, **kwargs):
        # A new password is the answer to a locked account wherever it is set: the user
        # admin, manage.py set_password, and the e-mailed reset link, which left the
        # account locked for the rest of its pause.
        password_changed = self._password is not None
        super().save(*args, **kwargs)
        if password_changed:
            self.forget_failed_logins()

    def delete(self, *args, **kwargs):
        refuse_owners_of_activities([self.pk])
        return super().delete(*args, **kwargs)

    def forget_failed_logins(self):
        from axes.models import AccessAttempt

        return AccessAttempt.objects.filter(username=self.phone).delete()[0]

    def clean(self):
        super().clean()
        self.phone = normalize_mobile(self.phone)

    def get_full_name(self):
        return self.real_name or self.phone

    def get_short_name(self):
        return self.real_name or self.phone

    @property
    def first_name(self):
        # Wagtail's sidebar greets users by first_name; ours have one real name.
        return self.real_name


def activities_owned(user_ids):
    """{user id: number of activities they own} for those of `user_ids` who own any."""
    from activities.models import ActivityPage

    return dict(
        ActivityPage.objects.filter(owner__in=user_ids)
        .order_by()
        .values("owner")
        .annotate(count=Count("pk"))
        .values_list("owner", "count")
    )


def owner_kept_message(user, count):
    return ngettext(
        "%(name)s owns %(count)d activity and cannot be deleted: without its owner nobody "
        "would receive its review mails or correct it when it is sent back. Deactivate the "
        "account instead; it keeps its activity.",
        "%(name)s owns %(count)d activities and cannot be deleted: without their owner "
        "nobody would receive their review mails or correct them when they are sent back. "
        "Deactivate the account instead; it keeps its activities.",
        count,
    ) % {"name": user, "count": count}
