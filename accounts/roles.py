"""Role groups (R2). They are created by a data migration; code finds them by these names."""

SUBMITTERS = "活动发布者"
PROVINCE_MODERATORS = "省级管理员"
NATIONAL_MODERATORS = "全国管理员"
ADMINISTRATORS = "平台管理员"

ALL = (SUBMITTERS, PROVINCE_MODERATORS, NATIONAL_MODERATORS, ADMINISTRATORS)


def in_group(user, name):
    if not user.is_authenticated:
        return False
    cache = getattr(user, "_role_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_names = cache
    return name in cache


def is_submitter_only(user):
    """A user whose only role is Submitter: sees and edits their own activities only."""
    if not user.is_authenticated or user.is_superuser:
        return False
    return in_group(user, SUBMITTERS) and not any(
        in_group(user, name) for name in (PROVINCE_MODERATORS, NATIONAL_MODERATORS, ADMINISTRATORS)
    )


def corrects_activities_under_way(user):
    """Who may submit a correction of a live activity that has begun (R8, R23): the
    platform's administrators, who are its support. The unit may not; its message sends
    it to them, and before they could not either: a wrong phone number on an exhibition
    under way stayed public to its end."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or in_group(user, ADMINISTRATORS)
