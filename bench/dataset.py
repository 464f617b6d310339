"""The benchmark's data set, built with set-based SQL (never the ORM row by row).

Shape at 1,000,000 logs (issue 7), scaled down proportionally for smaller N:
2,000 mentors, 200 supervisors, 6,000 participants, 20 sites in several time
zones, about 3 options per log, half with a reflection, dates over 3 years.
Sample users: bench.research (all sites, export right "text"), bench.admin,
bench.mentor.<i>, bench.supervisor.<i>; password "bench-password-2026".
Deterministic (setseed), so two builds of one N hold the same data."""

from __future__ import annotations

import time

VERSION = 1
PASSWORD = "bench-password-2026"
ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Pacific/Auckland",
]
NARRATIVES = [
    "We met at the coffee shop near the clinic. They talked about cravings in the "
    "morning and we planned a short walk instead of the first cigarette.",
    'Phone check-in. A hard week with family stress, but the patch stayed on. "One '
    'day at a time", they said.',
    "We went to the library together and looked up the quitline hours.\nThey want "
    "to call on Monday, after the group session.",
    "Low energy today; we mostly talked about sleep, appointments and money, and a "
    "little about smoking.",
    "=Good meeting, fewer cigarettes this week; proud of it. We set a goal for the "
    "weekend.",
    "Rencontre au parc — café, marche, et un plan pour les envies après le repas. 👍",
    "Cancelled by text, rescheduled for Thursday.",
    "-2 cigarettes a day compared with last week. Practised the breathing exercise "
    "together, twice.",
]
REFLECTIONS = [
    "It reminded me of my own first weeks without smoking; I felt hopeful for them.",
    "I felt a bit drained afterwards and took a walk before the next contact.",
    "Hard to hear about the housing problems; I am not sure how much to push.",
]


def scale(n: int) -> dict[str, int]:
    factor = n / 1_000_000
    return {
        "logs": n,
        "mentors": max(8, round(2000 * factor)),
        "supervisors": max(2, round(200 * factor)),
        "participants": max(16, round(6000 * factor)),
        "sites": max(len(ZONES) // 2, min(20, round(20 * factor))),
    }


def ensure(ctx, *, rebuild: bool = False) -> str:
    """Build the data set unless this database already holds it."""
    with ctx.connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta"
            " (logs int, version int, seconds float, built_at timestamptz)"
        )
        cursor.execute("SELECT logs, version FROM bench_meta")
        row = cursor.fetchone()
    if row == (ctx.n, VERSION) and not rebuild:
        return "reused"
    started = time.monotonic()
    build(ctx)
    seconds = time.monotonic() - started
    with ctx.connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_meta")
        cursor.execute(
            "INSERT INTO bench_meta VALUES (%s, %s, %s, now())",
            [ctx.n, VERSION, seconds],
        )
    return f"built in {seconds:.0f} s"


def build(ctx) -> None:
    from django.contrib.auth.hashers import make_password

    from audit.triggers import history_purge_allowed

    shape = scale(ctx.n)
    params = {
        **shape,
        "password": make_password(PASSWORD),
        "zones": ZONES,
        "narratives": NARRATIVES,
        "reflections": REFLECTIONS,
    }
    # Starting clean truncates the audit, history and revision tables, which
    # are append-only (AUD-3): the door opens for a member of the history admin
    # role (issue 11 finding 13). The harness's own cluster runs as a superuser;
    # with DATABASE_URL, its role must be a member (README, Audit trail).
    with history_purge_allowed(truncate=True), ctx.connection.cursor() as cursor:
        for statement in SQL:
            cursor.execute(statement, params)
    with ctx.connection.cursor() as cursor:
        cursor.execute("ANALYZE")


SQL = [
    # Start clean (the database is the harness's own), history included.
    "TRUNCATE logs_app_interactionlog, participants_site, auth_user,"
    " logs_app_exportjob, logs_app_exportright, logs_app_auditevent,"
    " logs_app_datachange, logs_app_logrevision RESTART IDENTITY CASCADE",
    "SELECT setseed(0.42)",
    """INSERT INTO participants_site (name, code, time_zone, lead_id,
        safety_backup_email, reminder_weekday, reminder_time, digest_weekday,
        digest_time, escalation_days, caseload_limit)
    SELECT 'Bench site ' || g, 'b' || g,
        (%(zones)s::text[])[1 + (g - 1) %% cardinality(%(zones)s::text[])],
        NULL, '', 4, '15:00', 0, '08:00', 7, 12
    FROM generate_series(1, %(sites)s) g""",
    # No protocol (the dose section gives one inside its own transaction).
    """INSERT INTO participants_cohort (site_id, name, start_date, end_date,
        planned_contacts, contact_every_days, window_days, planned_minutes)
    SELECT s.id, 'Cohort ' || k, DATE '2023-12-01' + (k - 1) * 270,
        DATE '2023-12-01' + (k - 1) * 270 + 180, 0, 7, 3, NULL
    FROM participants_site s CROSS JOIN generate_series(1, 4) k""",
    # Users: supervisors, mentors, one research staff member, one admin.
    """INSERT INTO auth_user (password, is_superuser, username, first_name,
        last_name, email, is_staff, is_active, date_joined)
    SELECT %(password)s, false, 'bench.supervisor.' || g, 'Super', 'Visor ' || g,
        'bench.supervisor.' || g || '@example.org', false, true, now()
    FROM generate_series(0, %(supervisors)s - 1) g""",
    """INSERT INTO auth_user (password, is_superuser, username, first_name,
        last_name, email, is_staff, is_active, date_joined)
    SELECT %(password)s, false, 'bench.mentor.' || g, 'Men', 'Tor ' || g,
        'bench.mentor.' || g || '@example.org', false, true, now()
    FROM generate_series(0, %(mentors)s - 1) g""",
    """INSERT INTO auth_user (password, is_superuser, username, first_name,
        last_name, email, is_staff, is_active, date_joined)
    VALUES (%(password)s, false, 'bench.research', 'Rita', 'Research',
        'bench.research@example.org', false, true, now()),
        (%(password)s, false, 'bench.admin', 'Ada', 'Admin',
        'bench.admin@example.org', true, true, now())""",
    """INSERT INTO auth_user_groups (user_id, group_id)
    SELECT u.id, g.id FROM auth_user u JOIN auth_group g ON g.name = CASE
        WHEN u.username LIKE 'bench.supervisor.%%' THEN 'supervisor'
        WHEN u.username LIKE 'bench.mentor.%%' THEN 'mentor'
        WHEN u.username = 'bench.research' THEN 'research'
        WHEN u.username = 'bench.admin' THEN 'admin' END""",
    """CREATE TEMP TABLE b_sup ON COMMIT DROP AS
    SELECT split_part(username, '.', 3)::int AS i, id FROM auth_user
    WHERE username LIKE 'bench.supervisor.%%'""",
    """CREATE TEMP TABLE b_site ON COMMIT DROP AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS i, id, time_zone
    FROM participants_site""",
    # Supervisor i works at site i mod sites; research staff at every site.
    """INSERT INTO participants_siteaccess (user_id, site_id)
    SELECT b_sup.id, b_site.id FROM b_sup
    JOIN b_site ON b_site.i = b_sup.i %% %(sites)s
    UNION ALL
    SELECT u.id, s.id FROM auth_user u CROSS JOIN participants_site s
    WHERE u.username = 'bench.research'""",
    # Mentor i: supervisor i mod supervisors, at that supervisor's site; 70 %%
    # consented to research use of their reflections.
    """INSERT INTO mentors_mentor (user_id, supervisor_id, is_active,
        reflections_consent_at)
    SELECT u.id, b_sup.id, true,
        CASE WHEN random() < 0.7 THEN TIMESTAMPTZ '2023-11-01 12:00Z' END
    FROM auth_user u
    JOIN b_sup ON b_sup.i = split_part(u.username, '.', 3)::int %% %(supervisors)s
    WHERE u.username LIKE 'bench.mentor.%%'""",
    """CREATE TEMP TABLE b_mentor ON COMMIT DROP AS
    SELECT split_part(u.username, '.', 3)::int AS i, m.id,
        (split_part(u.username, '.', 3)::int %% %(supervisors)s) %% %(sites)s AS site_i
    FROM mentors_mentor m JOIN auth_user u ON u.id = m.user_id""",
    """INSERT INTO mentors_mentor_sites (mentor_id, site_id)
    SELECT b_mentor.id, b_site.id FROM b_mentor
    JOIN b_site ON b_site.i = b_mentor.site_i""",
    # Participant p: mentor p mod mentors, at the mentor's site; 95 %% consent.
    """INSERT INTO participants_participant (study_id, site_id, cohort_id, status,
        preferred_name, enrolled_on, quit_date, has_research_consent)
    SELECT 'B-' || lpad(p::text, 6, '0'), b_site.id,
        (SELECT c.id FROM participants_cohort c WHERE c.site_id = b_site.id
         ORDER BY c.id OFFSET p %% 4 LIMIT 1),
        (ARRAY['active', 'active', 'active', 'completed', 'withdrawn'])[1 + p %% 5],
        'Pat ' || p, DATE '2023-11-15', NULL, random() < 0.95
    FROM generate_series(0, %(participants)s - 1) p
    JOIN b_mentor ON b_mentor.i = p %% %(mentors)s
    JOIN b_site ON b_site.i = b_mentor.site_i""",
    """CREATE TEMP TABLE b_part ON COMMIT DROP AS
    SELECT row_number() OVER (ORDER BY p.id) - 1 AS i, p.id, p.site_id,
        b_mentor.id AS mentor_id, s.time_zone, b_sup.id AS supervisor_user
    FROM participants_participant p
    JOIN participants_site s ON s.id = p.site_id
    JOIN b_mentor ON b_mentor.i = split_part(p.study_id, '-', 2)::int %% %(mentors)s
    JOIN b_sup ON b_sup.i = b_mentor.i %% %(supervisors)s""",
    """INSERT INTO mentors_assignment (mentor_id, participant_id, start_date,
        end_date, end_reason)
    SELECT mentor_id, id, DATE '2023-11-15', NULL, '' FROM b_part""",
    # The logs.
    """CREATE TEMP TABLE b_log ON COMMIT DROP AS
    SELECT g, floor(random() * %(participants)s)::int AS pi,
        DATE '2023-12-01' + floor(random() * 1095)::int AS day,
        make_time(8 + floor(random() * 10)::int, (floor(random() * 4) * 15)::int, 0)
            AS start, random() AS r1, random() AS r2, random() AS r3, random() AS r4
    FROM generate_series(1, %(logs)s) g""",
    """INSERT INTO logs_app_interactionlog (mentor_id, participant_id, status, version,
        idempotency_key, contact_date, start_time, occurred_at, duration_minutes,
        mode, place, outcome, co_ppm, cigarettes_per_day, stage_of_change,
        quit_date, nrt_in_use, weekly_goal, last_goal_outcome, narrative,
        reflection_feelings, reflection_concerns, concern, discuss_in_supervision,
        safety_concern, is_voided, void_reason, created_at, updated_at,
        submitted_at, reviewed_at, reviewed_by_id)
    SELECT p.mentor_id, p.id, st.status, 1, gen_random_uuid(), l.day, l.start,
        (l.day + l.start) AT TIME ZONE p.time_zone,
        15 + floor(l.r1 * 106)::int,
        (ARRAY['in_person', 'in_person', 'phone', 'video', 'text'])[1 + l.g %% 5],
        (ARRAY['Clinic', 'Coffee shop, Main St', 'Library', 'Park', ''])[1 + l.g %% 5],
        CASE WHEN l.r2 < 0.85 THEN 'met'
             ELSE (ARRAY['no_answer', 'cancelled', 'no_show'])[1 + l.g %% 3] END,
        CASE WHEN l.r3 < 0.4 THEN floor(l.r4 * 40)::int END,
        CASE WHEN l.r3 < 0.5 THEN floor(l.r1 * 30)::int END,
        CASE WHEN l.r4 < 0.5 THEN (ARRAY['precontemplation', 'contemplation',
            'preparation', 'action', 'maintenance'])[1 + l.g %% 5] ELSE '' END,
        CASE WHEN l.r4 < 0.05 THEN l.day + 14 END,
        CASE WHEN l.r1 < 0.3 THEN 'yes' WHEN l.r1 < 0.4 THEN 'no' ELSE '' END,
        CASE WHEN l.r2 < 0.6 THEN 'Walk instead of the first cigarette' ELSE '' END,
        CASE WHEN l.r3 < 0.5 THEN (ARRAY['met', 'partly', 'not_met'])[1 + l.g %% 3]
             ELSE '' END,
        (%(narratives)s::text[])[1 + l.g %% cardinality(%(narratives)s::text[])]
            || ' #' || l.g,
        CASE WHEN l.r4 < 0.5 THEN (%(reflections)s::text[])[1 + l.g %% 3] ELSE '' END,
        CASE WHEN l.r1 < 0.2 THEN 'Should I bring up the quit date again?' ELSE '' END,
        CASE WHEN l.r1 > 0.99 THEN 'They seemed much more withdrawn than last week.'
             ELSE '' END,
        l.r2 < 0.1, l.r3 < 0.01, l.r4 > 0.995,
        CASE WHEN l.r4 > 0.995 THEN 'Filed twice' ELSE '' END,
        (l.day + l.start) AT TIME ZONE p.time_zone + interval '3 hours',
        (l.day + l.start) AT TIME ZONE p.time_zone + interval '3 hours',
        (l.day + l.start) AT TIME ZONE p.time_zone + interval '3 hours',
        CASE WHEN st.status = 'reviewed'
             THEN (l.day + l.start) AT TIME ZONE p.time_zone + interval '2 days' END,
        CASE WHEN st.status = 'reviewed' THEN p.supervisor_user END
    FROM b_log l
    JOIN b_part p ON p.i = l.pi
    CROSS JOIN LATERAL (SELECT CASE WHEN l.r1 < 0.8 THEN 'reviewed'
        WHEN l.r1 < 0.97 THEN 'submitted' ELSE 'returned' END AS status) st
    ORDER BY l.g""",
    # About 3 options per log (attempts have none): 1-2 techniques, 1-2 topics,
    # 0-1 role functions, picked by mixing the log id.
    """INSERT INTO logs_app_interactionlog_techniques (interactionlog_id, technique_id)
    SELECT l.id, o.ids[1 + ((l.id * 2654435761 + j * 5) %% cardinality(o.ids))]
    FROM logs_app_interactionlog l
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM logs_app_technique) o
    CROSS JOIN LATERAL generate_series(0, (l.id %% 2)::int) j
    WHERE l.outcome = 'met'""",
    """INSERT INTO logs_app_interactionlog_topics (interactionlog_id, topic_id)
    SELECT l.id, o.ids[1 + ((l.id * 40503 + j * 7) %% cardinality(o.ids))]
    FROM logs_app_interactionlog l
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM logs_app_topic) o
    CROSS JOIN LATERAL generate_series(0, ((l.id / 2) %% 2)::int) j
    WHERE l.outcome = 'met'""",
    """INSERT INTO logs_app_interactionlog_role_functions
        (interactionlog_id, rolefunction_id)
    SELECT l.id, o.ids[1 + ((l.id * 97) %% cardinality(o.ids))]
    FROM logs_app_interactionlog l
    CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM logs_app_rolefunction) o
    WHERE l.outcome = 'met' AND (l.id / 4) %% 2 = 0""",
    """INSERT INTO logs_app_exportright
        (user_id, level, granted_by_id, granted_at, note)
    SELECT id, 'text', NULL, now(), 'benchmark' FROM auth_user
    WHERE username = 'bench.research'""",
]
