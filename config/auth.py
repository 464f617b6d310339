"""Program admins (the `admin` role) hold every model permission, so the Django
admin works for them without per-model grants. Everyone else has only what the
ModelBackend gives them."""

from django.contrib.auth.backends import BaseBackend

from core.roles import Role, user_roles


class AdminRoleBackend(BaseBackend):
    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return Role.ADMIN in user_roles(user_obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return Role.ADMIN in user_roles(user_obj)
