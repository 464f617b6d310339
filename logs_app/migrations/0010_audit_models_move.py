# AuditEvent and DataChange now belong to audit (issue 12): leave logs_app's
# state only; the tables, their rows and triggers stay (audit's 0001).
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('logs_app', '0009_append_only_admin_role'),
        ('audit', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name='auditevent', name='actor'),
                migrations.RemoveField(model_name='auditevent', name='mentor'),
                migrations.RemoveField(model_name='auditevent', name='site'),
                migrations.DeleteModel(name='DataChange'),
                migrations.DeleteModel(name='AuditEvent'),
            ],
            database_operations=[],
        ),
    ]
