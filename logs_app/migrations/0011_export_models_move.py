# ExportRight and ExportJob now belong to exports (issue 12): leave logs_app's
# state only; the tables and their rows stay (exports' 0001).
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('logs_app', '0010_audit_models_move'),
        ('exports', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name='exportright', name='granted_by'),
                migrations.RemoveField(model_name='exportright', name='user'),
                migrations.DeleteModel(name='ExportJob'),
                migrations.DeleteModel(name='ExportRight'),
            ],
            database_operations=[],
        ),
    ]
