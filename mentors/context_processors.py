from django.http import HttpRequest

from core.roles import Role, user_roles


def roles(request: HttpRequest) -> dict:
    """Expose the user's roles to templates for navigation only (never for access)."""
    current = user_roles(getattr(request, "user", None))
    return {
        "is_mentor": Role.MENTOR in current,
        "is_supervisor": Role.SUPERVISOR in current,
        "is_research": Role.RESEARCH in current,
        "is_admin_role": Role.ADMIN in current,
    }
