"""Default option lists for a smoking-cessation peer mentor program. Codes are
stable (exports use them); admins may relabel, reorder or retire options."""

from django.db import migrations

TECHNIQUES = [
    ("listening", "Listened and encouraged"),
    ("shared_experience", "Shared my own experience"),
    ("goal_setting", "Set a goal together"),
    ("problem_solving", "Worked through a problem together"),
    ("coping_skills", "Practised ways to handle cravings or stress"),
    ("reasons_to_quit", "Talked through reasons to quit"),
    ("co_test", "Did a CO breath test"),
    ("nrt_support", "Helped with nicotine replacement (patch, gum, …)"),
    ("referral", "Connected them to a quitline or service"),
    ("information", "Shared information about smoking and health"),
    ("practical_help", "Practical help (appointments, transport, forms)"),
    ("activity_together", "Did an activity together"),
]
TOPICS = [
    ("cravings_triggers", "Cravings and triggers"),
    ("quit_plan", "Quit plan and quit date"),
    ("medication_nrt", "Medication and nicotine replacement"),
    ("stress_mood", "Stress and mood"),
    ("mental_health", "Mental health and symptoms"),
    ("physical_health", "Physical health"),
    ("relationships", "Family, friends and relationships"),
    ("housing_money", "Housing, money and benefits"),
    ("daily_life", "Daily life, work and activities"),
    ("substance_use", "Alcohol and other substances"),
    ("program", "The program and group sessions"),
    ("other", "Something else"),
]
ROLE_FUNCTIONS = [
    ("cessation", "Working on quitting smoking"),
    ("relationship", "Building our relationship"),
    ("companionship", "Keeping them company"),
    ("health_life", "Health and life beyond smoking"),
    ("advocacy", "Speaking up for them (advocacy)"),
]


def seed(apps, schema_editor):
    for model_name, rows in (
        ("Technique", TECHNIQUES),
        ("Topic", TOPICS),
        ("RoleFunction", ROLE_FUNCTIONS),
    ):
        model = apps.get_model("logs_app", model_name)
        for position, (code, label) in enumerate(rows, start=1):
            model.objects.get_or_create(
                code=code, defaults={"label": label, "position": position * 10}
            )


class Migration(migrations.Migration):
    dependencies = [("logs_app", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
