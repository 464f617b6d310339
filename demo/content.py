"""The demo program's people, places and words: sites, supervisors, mentors,
and the narratives, reflections and feedback its logs are written from."""

DEMO_PASSWORD = "peerlog-demo-2026"
SITES = [
    ("bos", "Boston Harbor Clinic", "America/New_York"),
    ("den", "Denver Foothills Center", "America/Denver"),
    ("syd", "Sydney Harbour Service", "Australia/Sydney"),
]
SUPERVISORS = [
    ("sam.supervisor", "Sam", "Okafor", ["bos", "den"]),
    ("sofia.supervisor", "Sofia", "Reyes", ["syd"]),
]
MENTORS = [
    ("maya.mentor", "Maya", "Chen", "bos", 0),
    ("marcus.mentor", "Marcus", "Bell", "bos", 0),
    ("nina.mentor", "Nina", "Patel", "bos", 0),
    ("diego.mentor", "Diego", "Alvarez", "den", 0),
    ("ruth.mentor", "Ruth", "Nakamura", "den", 0),
    ("tom.mentor", "Tom", "Walsh", "syd", 1),
    ("ana.mentor", "Ana", "Silva", "syd", 1),
    ("lee.mentor", "Lee", "Morgan", "syd", 1),
]
NARRATIVES = [
    "We met at the coffee shop near the clinic. {p} talked about cravings in the "
    "morning and we planned a short walk instead of the first cigarette.",
    "Phone check-in. {p} had a hard week with family stress but kept the patch on. "
    "We went over what helped last time.",
    "We went to the library together and looked up the quitline hours. {p} wants to "
    "call on Monday.",
    "{p} was low on energy today. We mostly talked about sleep and appointments, and "
    "a little about smoking.",
    "Good meeting. {p} smoked fewer cigarettes this week and was proud of it. We set "
    "a goal for the weekend.",
    "We did the CO test together and compared it with last month. {p} was surprised "
    "how much it had dropped.",
]
FEELINGS = [
    "It brought back my own first weeks of quitting. I felt a craving afterwards.",
    "I felt useful today. It was good to see the progress.",
    "I felt discouraged when they said they might give up. I need to remember it is "
    "their journey.",
    "I was tired and found it hard to listen. I want to pace myself better.",
]
FEEDBACK = [
    "Thank you for this clear log. Planning the walk instead of the first "
    "cigarette was a great idea.",
    "You listened really well here. Let's talk about pacing yourself in group "
    "supervision.",
    "Good work staying in touch even when they did not answer. Keep trying.",
    "It sounds like this brought up a lot for you. I'm glad you wrote it down.",
]
RETURN_NOTE = (
    "Lovely detail about the walk. Could you add how long you met and which "
    "topics you covered? Then submit it again."
)
CONCERNS = [
    "Is it okay to help with housing forms, or is that outside my role?",
    "They asked to borrow money. I said no, but I'd like to talk about it.",
    "They mentioned new medication. Should I tell the clinic?",
]

# What worries a mentor about a contact (the log's concern, issue 14).
WORRIES = [
    "They seemed much more withdrawn than last week.",
    "Their partner was angry when I called and they ended the call quickly.",
]
# What supervisors wrote when they resolved an older follow-up item (issue 14).
FOLLOW_UP_NOTES = [
    "Talked it through in supervision; the mentor has a plan for next time.",
    "Phoned the mentor the same day; the care team knows and has the plan.",
    "Checked in with the mentor after the next contact; all settled.",
]
