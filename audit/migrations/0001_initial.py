# The audit tables move from logs_app to audit (issue 12) without touching the
# database: the state gets the models here (same tables, same indexes), and
# logs_app's 0010 drops them from its state only. An existing database keeps
# every row and trigger; a fresh one is built by logs_app's 0001..0009 first.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_types_move(apps, schema_editor):
    """Keep the content types (and with them the admin's history and the
    permissions) of the moved models: rename their app label. On a fresh
    database there are none yet; post_migrate creates them under audit."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in ("auditevent", "datachange"):
        if ContentType.objects.using(db).filter(app_label="audit", model=model).exists():
            continue
        ContentType.objects.using(db).filter(app_label="logs_app", model=model).update(
            app_label="audit"
        )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        # The tables exist, in their final shape, from here.
        ('logs_app', '0009_append_only_admin_role'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('mentors', '0001_initial'),
        ('participants', '0004_research_consent_help'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='DataChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('table_name', models.CharField(max_length=63)),
                ('row_id', models.CharField(max_length=40)),
                ('operation', models.CharField(max_length=6)),
                ('changed_at', models.DateTimeField()),
                ('old_values', models.JSONField(blank=True, null=True)),
                ('new_values', models.JSONField(blank=True, null=True)),
                ('db_user', models.CharField(blank=True, max_length=63)),
                ('actor_id', models.BigIntegerField(blank=True, null=True)),
                ('request_id', models.UUIDField(blank=True, null=True)),
            ],
            options={
                'db_table': 'logs_app_datachange',
                'ordering': ['-changed_at', '-pk'],
                'indexes': [models.Index(fields=['table_name', 'row_id'], name='datachange_row')],
            },
        ),
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True)),
                ('roles', models.CharField(blank=True, max_length=60)),
                ('action', models.CharField(max_length=40)),
                ('outcome', models.CharField(default='ok', max_length=20)),
                ('object_type', models.CharField(blank=True, max_length=40)),
                ('object_id', models.CharField(blank=True, max_length=40)),
                ('path', models.CharField(blank=True, max_length=300)),
                ('method', models.CharField(blank=True, max_length=8)),
                ('ip', models.GenericIPAddressField(blank=True, null=True)),
                ('request_id', models.UUIDField(blank=True, db_index=True, null=True)),
                ('details', models.JSONField(blank=True, default=dict)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('mentor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='mentors.mentor')),
                ('site', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='participants.site')),
            ],
            options={
                'db_table': 'logs_app_auditevent',
                'ordering': ['-at', '-pk'],
                'indexes': [models.Index(fields=['actor', '-at'], name='logs_app_au_actor_i_104936_idx'), models.Index(fields=['mentor', '-at'], name='audit_mentor_at')],
            },
        ),
            ], database_operations=[]),
        migrations.RunPython(content_types_move, migrations.RunPython.noop),
    ]
