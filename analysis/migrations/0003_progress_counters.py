
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, Q


def counters_fill(apps, schema_editor):
    """The counters from the rows (analysis.progress.progress_recount)."""
    project_model = apps.get_model("analysis", "Project")
    member_model = apps.get_model("analysis", "Member")
    coder_text = apps.get_model("analysis", "CoderText")
    for project in project_model.objects.all():
        included = project.texts.filter(screening="included").count()
        project_model.objects.filter(pk=project.pk).update(included_count=included)
        done = dict(
            coder_text.objects.filter(
                text__project=project, finished_at__isnull=False
            )
            .values_list("coder")
            .annotate(n=Count("pk", filter=Q(text__screening="included")))
        )
        for member in member_model.objects.filter(project=project):
            member_model.objects.filter(pk=member.pk).update(
                finished_count=done.get(member.user_id, 0)
            )


class Migration(migrations.Migration):

    dependencies = [
        ('analysis', '0002_quote_whole_once'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='member',
            name='finished_count',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='project',
            name='included_count',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name='codertext',
            index=models.Index(condition=models.Q(('finished_at__isnull', False)), fields=['coder', 'codebook_version'], name='analysis_coder_text_version'),
        ),
        migrations.RunPython(counters_fill, migrations.RunPython.noop),
    ]
