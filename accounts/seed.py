from .models import User

# Published in the README: demo data is refused outside DEBUG / DEMO_DATA_ALLOWED.
DEMO_PASSWORD = "kepuri-demo-2026"  # noqa: S105
SUPERUSER_PHONE = "13800000000"


def seed(command):
    user, created = User.objects.get_or_create(
        phone=SUPERUSER_PHONE,
        defaults={
            "real_name": "平台管理员",
            "is_staff": True,
            "is_superuser": True,
            "is_real_name_verified": True,
            "email": "admin@kepuri.example.cn",
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    command.stdout.write(
        f"Administrator: {SUPERUSER_PHONE} / {DEMO_PASSWORD}" + (" (created)" if created else "")
    )
