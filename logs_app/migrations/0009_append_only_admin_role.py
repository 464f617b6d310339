from django.db import migrations


def install_triggers(apps, schema_editor):
    # Issue 11 finding 3 (AUD-6): the append-only trigger lets DELETE and
    # TRUNCATE through only for members of the history admin role; a
    # transaction setting alone, which any role can set, no longer does.
    # CREATE OR REPLACE of the trigger function (audit.triggers); nothing to
    # undo: the earlier function is the hole this closes.
    from audit.triggers import history_admin_role_ensure, triggers_install

    history_admin_role_ensure(schema_editor.connection.alias)
    triggers_install(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("logs_app", "0008_exportjob_covered"),
    ]

    operations = [
        migrations.RunPython(install_triggers, migrations.RunPython.noop),
    ]
