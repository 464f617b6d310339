from django.contrib.admin.apps import AdminConfig


class PeerlogAdminConfig(AdminConfig):
    default_site = "config.admin.PeerlogAdminSite"
