# The export models move from logs_app to exports (issue 12) without touching
# the database: the state gets the models here (same tables, same indexes and
# constraint), and logs_app's 0011 drops them from its state only. An existing
# database keeps every row and the export-right history trigger (AUD-2, by
# table name); a fresh one is built by logs_app's 0005 and 0008 first.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_types_move(apps, schema_editor):
    """Keep the content types (and with them the admin's history and the
    permissions) of the moved models: rename their app label. On a fresh
    database there are none yet; post_migrate creates them under exports."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in ("exportright", "exportjob"):
        if ContentType.objects.using(db).filter(app_label="exports", model=model).exists():
            continue
        ContentType.objects.using(db).filter(app_label="logs_app", model=model).update(
            app_label="exports"
        )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        # The tables exist, in their final shape, from here.
        ('logs_app', '0010_audit_models_move'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='ExportRight',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.CharField(choices=[('none', 'No export'), ('coded', 'Coded: structured fields only'), ('text', 'With text: adds narratives and reflections'), ('full', 'Full: adds study IDs and preferred names (admins only)')], default='none', max_length=8, verbose_name='export level')),
                ('granted_at', models.DateTimeField(verbose_name='granted on')),
                ('note', models.CharField(blank=True, help_text='For example the approval or protocol this right rests on.', max_length=200, verbose_name='note')),
                ('granted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='granted by')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='export_right', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'export right',
                'verbose_name_plural': 'export rights',
                'db_table': 'logs_app_exportright',
            },
        ),
        migrations.CreateModel(
            name='ExportJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField()),
                ('level', models.CharField(choices=[('none', 'No export'), ('coded', 'Coded: structured fields only'), ('text', 'With text: adds narratives and reflections'), ('full', 'Full: adds study IDs and preferred names (admins only)')], max_length=8)),
                ('format', models.CharField(choices=[('csv', 'CSV, one row per log'), ('long', 'Long CSV, one row per log and option'), ('xlsx', 'Excel workbook (XLSX) with codebook'), ('package', 'Data package (zip: CSVs, schema, codebook)')], max_length=8)),
                ('delivery', models.CharField(choices=[('direct', 'Downloaded at once'), ('job', 'Prepared in the background')], max_length=8)),
                ('filters', models.JSONField(blank=True, default=dict)),
                ('status', models.CharField(choices=[('queued', 'Waiting'), ('running', 'Running'), ('done', 'Ready'), ('failed', 'Failed'), ('refused', 'Stopped: export right changed'), ('expired', 'Expired')], default='queued', max_length=8)),
                ('dispatched_at', models.DateTimeField(blank=True, null=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('expected_rows', models.PositiveIntegerField(blank=True, null=True)),
                ('progress_rows', models.PositiveIntegerField(default=0)),
                ('row_count', models.PositiveIntegerField(blank=True, null=True)),
                ('excluded', models.JSONField(blank=True, default=dict)),
                ('columns', models.JSONField(blank=True, default=list)),
                ('covered', models.JSONField(blank=True, default=dict)),
                ('sha256', models.CharField(blank=True, max_length=64)),
                ('file_name', models.CharField(blank=True, max_length=200)),
                ('file_size', models.BigIntegerField(blank=True, null=True)),
                ('expires_at', models.DateTimeField(blank=True, null=True)),
                ('error', models.CharField(blank=True, max_length=300)),
                ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='export_jobs', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'export',
                'verbose_name_plural': 'exports',
                'db_table': 'logs_app_exportjob',
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['requested_by', '-created_at'], name='export_by_user'), models.Index(condition=models.Q(('status__in', ['queued', 'running'])), fields=['created_at'], name='export_pending')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('status', 'done'), _negated=True), models.Q(('row_count__isnull', False), models.Q(('sha256', ''), _negated=True)), _connector='OR'), name='exportjob_done_has_rows_and_checksum')],
            },
        ),
        ], database_operations=[]),
        migrations.RunPython(content_types_move, migrations.RunPython.noop),
    ]
