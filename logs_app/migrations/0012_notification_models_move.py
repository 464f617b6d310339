# Notification and NotificationPreference now belong to notifications (issue
# 12): leave logs_app's state only; the tables and their rows stay
# (notifications' 0001).
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('logs_app', '0011_export_models_move'),
        ('notifications', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='Notification'),
                migrations.DeleteModel(name='NotificationPreference'),
            ],
            database_operations=[],
        ),
    ]
