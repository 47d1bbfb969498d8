"""Wagtail's images and documents apps with our permission policy (accounts/upload_policy.py).

Listed in INSTALLED_APPS in place of "wagtail.images" and "wagtail.documents": registering the
policy right after Wagtail registers its own is the one place that is certain to run after it
and before any request."""

from wagtail.documents.apps import WagtailDocsAppConfig
from wagtail.images.apps import WagtailImagesAppConfig


def _register_policy(model, auth_model):
    from wagtail.permissions import register_permission_policy

    from .upload_policy import OwnUploadsPermissionPolicy

    register_permission_policy(
        model,
        OwnUploadsPermissionPolicy(
            model, auth_model=auth_model, owner_field_name="uploaded_by_user"
        ),
    )


class ImagesAppConfig(WagtailImagesAppConfig):
    def ready(self):
        super().ready()
        from wagtail.images import get_image_model

        _register_policy(get_image_model(), "wagtailimages.Image")


class DocumentsAppConfig(WagtailDocsAppConfig):
    def ready(self):
        super().ready()
        from wagtail.documents import get_document_model

        _register_policy(get_document_model(), "wagtaildocs.Document")
