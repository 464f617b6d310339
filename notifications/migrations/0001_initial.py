# The outbox tables move from logs_app to notifications (issue 12) without
# touching the database: the state gets the models here (same tables, same
# index and constraint), and logs_app's 0011 drops them from its state only.
# An existing database keeps every row; a fresh one is built by logs_app's
# 0004 first.

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


def content_types_move(apps, schema_editor):
    """Keep the content types (and with them the admin's history and the
    permissions) of the moved models: rename their app label. On a fresh
    database there are none yet; post_migrate creates them under notifications."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in ("notification", "notificationpreference"):
        if ContentType.objects.using(db).filter(
            app_label="notifications", model=model
        ).exists():
            continue
        ContentType.objects.using(db).filter(app_label="logs_app", model=model).update(
            app_label="notifications"
        )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        # The tables exist, in their final shape, from logs_app's 0004; 0010 is
        # the last logs_app migration before the move.
        ('logs_app', '0010_audit_models_move'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('digest', models.CharField(choices=[('weekly', 'Weekly'), ('daily', 'Daily'), ('off', 'Off')], default='weekly', max_length=6, verbose_name='supervisor digest')),
                ('unsubscribe_token', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='mail_preference', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'logs_app_notificationpreference',
                'verbose_name': 'mail preference',
                'verbose_name_plural': 'mail preferences',
            },
        ),
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('reminder', 'Mentor reminder'), ('digest', 'Supervisor digest'), ('safety_alert', 'Safety alert'), ('export_ready', 'Export ready')], max_length=20)),
                ('email', models.EmailField(max_length=254)),
                ('period', models.CharField(max_length=40)),
                ('payload', models.JSONField(blank=True, default=dict)),
                ('status', models.CharField(choices=[('pending', 'Waiting to send'), ('sending', 'Sending'), ('sent', 'Sent'), ('skipped', 'Nothing to say'), ('failed', 'Failed')], default='pending', max_length=10)),
                ('due_at', models.DateTimeField()),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField()),
                ('claimed_at', models.DateTimeField(blank=True, null=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('recipient', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'logs_app_notification',
                'verbose_name': 'notification',
                'verbose_name_plural': 'notifications',
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(condition=models.Q(('status__in', ['pending', 'sending'])), fields=['next_attempt_at'], name='notification_due')],
                'constraints': [models.UniqueConstraint(fields=('email', 'kind', 'period'), name='notification_once_per_period')],
            },
        ),
            ], database_operations=[]),
        migrations.RunPython(content_types_move, migrations.RunPython.noop),
    ]
