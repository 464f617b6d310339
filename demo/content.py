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
    "They asked me to be their friend on social media. After talking with Sam "
    "I understand better why I can't be their friend, and I feel clearer about it.",
    "Helping with the housing form felt good, but I wonder if it is part of my role.",
    "Seeing the CO number drop made me proud of them and of my own quit too.",
    "Nothing much to add today.",
    "I said no when they asked to borrow money. It was hard but it felt right.",
    "Their craving stories made me want a cigarette on the way home. I called my "
    "own support person.",
    "I felt I was doing their work for them. Next time I will ask what they want "
    "to try first.",
    "Maya and I compared notes after group. I feel less alone in this role.",
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

# The demo's reflection analysis (issue 15): the codebook (category → codes with
# definition, when to use, when not to use, an example, a colour) and, per code,
# words that make the demo's coders apply it (so the two coders mostly agree).
ANALYSIS_QUESTION = (
    "How do peer mentors experience the boundaries of their role, and how does "
    "the work touch their own quitting?"
)
ANALYSIS_CODEBOOK = [
    (
        "Mentor role",
        "How the mentor understands and keeps to the role.",
        [
            (
                "Boundaries",
                "The mentor draws, tests or keeps a limit of the role.",
                "Friendship, money, social media, doing tasks for the participant.",
                "Limits of the mentor's own energy (use Pacing).",
                "I said no when they asked to borrow money.",
                "#0072b2",
                ["friend", "borrow", "money", "doing their work", "part of my role"],
            ),
            (
                "Role clarity from supervision",
                "Supervision helped the mentor understand the role.",
                "The text links a clearer view of the role to supervision or peers.",
                "Supervision is mentioned without a change in understanding.",
                "After talking with my supervisor I understand better why...",
                "#009e73",
                ["understand better", "compared notes", "less alone"],
            ),
            (
                "Practical help",
                "The mentor helped with a concrete task.",
                "Forms, appointments, rides, looking things up.",
                "Talk alone, however helpful.",
                "Helping with the housing form felt good.",
                "#e69f00",
                ["housing form", "form"],
            ),
        ],
    ),
    (
        "The mentor's own quitting",
        "How the contact touched the mentor's own smoking history.",
        [
            (
                "Own quit recalled",
                "The contact brought back the mentor's own quit.",
                "Memories of their own first weeks, pride in their own quit.",
                "Present cravings (use Craving).",
                "It brought back my own first weeks of quitting.",
                "#cc79a7",
                ["my own first weeks", "my own quit"],
            ),
            (
                "Craving",
                "The mentor felt an urge to smoke after the contact.",
                "Any urge, craving or wish for a cigarette.",
                "The participant's cravings only.",
                "Made me want a cigarette on the way home.",
                "#d55e00",
                ["craving afterwards", "want a cigarette"],
            ),
        ],
    ),
    (
        "Wellbeing",
        "How the mentor felt doing the work.",
        [
            (
                "Feeling useful",
                "Pride, satisfaction or usefulness.",
                "The mentor says the work felt good or useful.",
                "Pride in the participant only, without the mentor's own feeling.",
                "I felt useful today.",
                "#56b4e9",
                ["useful", "felt good", "proud", "felt right"],
            ),
            (
                "Discouragement",
                "The mentor felt discouraged or low.",
                "Disappointment, worry that effort is wasted.",
                "Tiredness alone.",
                "I felt discouraged when they said they might give up.",
                "#000000",
                ["discouraged"],
            ),
            (
                "Pacing",
                "The mentor's own energy and limits.",
                "Tiredness, needing breaks, calling their own support.",
                "Limits set for the participant (use Boundaries).",
                "I want to pace myself better.",
                "#f0e442",
                ["tired", "pace myself", "support person"],
            ),
        ],
    ),
]
