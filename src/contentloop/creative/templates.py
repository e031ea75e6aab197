"""The grammar: hook formulas, value points, body shapes and small lexicons.

Every slot is filled from the account, the pillar and the opportunity; numbers in hooks
are counts of what the post really contains (points, evidence items), never invented.
Slots: {topic} {Topic} {short} {Short} {audience} {kw} {n} {count} {source} {pillar}.
"""

from __future__ import annotations

from dataclasses import dataclass

from contentloop.domain import Format

ALL_FORMATS = frozenset(Format)


@dataclass(frozen=True, slots=True)
class HookTemplate:
    """One wording of a formula: `line` for the caption and voice-over, `card` for screens."""

    line: str
    card: str
    needs_evidence: int = 0  # how many evidence items the wording relies on


@dataclass(frozen=True, slots=True)
class HookFormula:
    style: str
    body: str  # list | steps | story | myth_fact | problem_solve
    templates: tuple[HookTemplate, ...]
    formats: frozenset[Format] = ALL_FORMATS
    negative: bool = False


T = HookTemplate

HOOKS: tuple[HookFormula, ...] = (
    HookFormula("question", "problem_solve", (
        T("Still putting off {topic} because it feels like a whole project?",
          "Still putting off {short}?"),
        T("Got {topic} on your list again this week?", "{Short} on the list again?"),
        T("What if {topic} took one short sitting instead of a whole evening?",
          "{Short} in one sitting?"),
    )),
    HookFormula("contrarian", "myth_fact", (
        T("Unpopular opinion: you don't need more effort for {topic}. You need a better order.",
          "{Short}: order beats effort"),
        T("Everyone is piling on {topic} advice. Most of it skips the first step.",
          "Most {short} advice skips step one"),
    )),
    HookFormula("listicle", "list", (
        T("{n} {topic} ideas worth saving before the week starts.", "{n} {short} ideas to save"),
        T("{n} small {topic} changes you can make today.", "{n} {short} changes for today"),
    )),
    HookFormula("how_to", "steps", (
        T("How to get started with {topic} without overhauling your week.",
          "{Short}, without the overhaul"),
        T("How to make {topic} work on a normal, busy weekday.", "{Short} on a busy weekday"),
    )),
    HookFormula("story", "story", (
        T("{Topic} kept showing up everywhere this week, so we sorted what actually holds up.",
          "We sorted the {short} noise", needs_evidence=1),
        T("Sunday night, a full week ahead, and you still haven't sorted {topic}. Here's the fix.",
          "Sunday night. {Short}. Sorted."),
        T("Monday, 8 a.m., and {topic} made the to-do list again. Here's how it gets done.",
          "Monday. {Short}. Done."),
    )),
    HookFormula("number_stat", "list", (
        T("{count} different sources covered {topic} recently. Here's what they agree on.",
          "{count} sources, one {short} takeaway", needs_evidence=2),
        T("{n} points on {topic}. Reading time: under a minute.", "{n} {short} points, 1 minute"),
    )),
    HookFormula("myth_fact", "myth_fact", (
        T("Myth: you have to go all in on {topic}. Fact: small, steady steps do the work.",
          "{Short} myth: all or nothing"),
        T("Myth: you need expert know-how for {topic}. Fact: you need {n} basics.",
          "{Short}: {n} basics, no expert"),
    )),
    HookFormula("before_after", "story", (
        T("Before: guessing at {topic} every week. After: a routine you can repeat.",
          "Guessing → a {short} routine"),
        T("From 'I'll sort {topic} later' to done by Monday lunchtime.",
          "'Later' → done by Monday"),
    )),
    HookFormula("mistake", "problem_solve", (
        T("The {topic} mistake that quietly eats the most time.",
          "The {short} mistake that eats time"),
        T("The one {topic} mistake we see over and over (and the fix).",
          "The {short} mistake we keep seeing"),
    ), negative=True),
    HookFormula("pov", "story", (
        T("POV: you finally have {topic} sorted before Sunday night.", "POV: {short}, sorted"),
        T("POV: someone asks about {topic} and you actually have an answer.",
          "POV: you get {short} now"),
    ), formats=frozenset({Format.REEL, Format.STORY, Format.IMAGE})),
    HookFormula("stop_doing", "steps", (
        T("Stop overcomplicating {topic} if you want it to stick.",
          "Stop overcomplicating {short}"),
        T("Stop starting {topic} from scratch every single week.", "Stop restarting {short}"),
    ), negative=True),
    HookFormula("cheat_sheet", "list", (
        T("{Topic} cheat sheet: the {n} points that matter, in one place.",
          "{Short} cheat sheet"),
        T("Screenshot this: {topic}, boiled down to {n} lines.", "{Short} in {n} lines"),
    ), formats=frozenset({Format.CAROUSEL, Format.IMAGE, Format.STORY, Format.REEL})),
    HookFormula("permission", "steps", (
        T("You don't need a perfect plan to start {topic}.", "{Short}: no perfect plan needed"),
        T("You don't need hours a week to get better at {topic}.", "{Short} without the hours"),
    )),
    HookFormula("callout", "steps", (
        T("If you keep pushing {topic} to next week, start here.", "Still pushing {short} back?"),
        T("For {audience}: {topic}, made simple.", "{Short}, made simple"),
    ), formats=frozenset({Format.IMAGE, Format.REEL, Format.STORY})),
)

HOOK_STYLES: tuple[str, ...] = tuple(h.style for h in HOOKS)
HOOKS_BY_STYLE: dict[str, HookFormula] = {h.style: h for h in HOOKS}


@dataclass(frozen=True, slots=True)
class PointTemplate:
    """A value point: a short on-screen `label` and the full `line` (verb + object + why)."""

    label: str
    line: str


P = PointTemplate

POINTS: tuple[PointTemplate, ...] = (
    P("Start with {kw}", "Start with {kw}: one change you can make today, not someday."),
    P("One idea, 7 days", "Pick one idea and run it for 7 days before adding another."),
    P("Write down where you are", "Write down what you do now with {kw}, so next week has "
      "something to beat."),
    P("Book 15 minutes", "Put 15 minutes for {kw} in the calendar. A booked slot beats a good "
      "intention."),
    P("Keep a 'worked' list", "Keep a short list of what worked. Next week starts from there, "
      "not from zero."),
    P("Simple version first", "Do the simplest version of {kw} first. The fancy version can wait."),
    P("Review after a week", "After a week, drop whatever didn't earn its place."),
    P("Set up the night before", "Set up {kw} the night before, so the morning has one job."),
    P("Ask someone a step ahead", "Ask someone a step ahead with {kw} what they'd skip if they "
      "started again."),
    P("Batch the repeats", "Batch the repetitive parts of {kw} into one sitting instead of five."),
    P("Keep it in sight", "Leave {kw} where you'll see it. Out of sight really is out of mind."),
    P("Define 'done'", "Decide what 'done' looks like for {kw} before you start."),
)

NICHE_POINTS: tuple[tuple[tuple[str, ...], tuple[PointTemplate, ...]], ...] = (
    (("cook", "food", "recipe", "kitchen", "meal", "bak"), (
        P("Prep on Sunday", "Wash and chop for {kw} on Sunday, so the weeknight is only cooking."),
        P("Pat it dry", "Pat everything dry before it meets the heat. Wet food steams instead "
          "of browning."),
        P("Season in layers", "Season in layers: a pinch at the start, then taste and adjust at "
          "the end."),
        P("Give it room", "Give {kw} room in the pan or basket. Crowding is why things go soggy."),
        P("Plan 3 dinners, not 7", "Plan three dinners, not seven. Leftovers fill the gaps."),
        P("Finish with acid", "Finish with a squeeze of lemon or a splash of vinegar. It wakes "
          "the whole plate up."),
        P("Cook once, eat twice", "Cook a double batch of {kw} and decide the second meal before "
          "the first is plated."),
    )),
    (("fit", "gym", "run", "yoga", "train", "workout", "strength"), (
        P("Two warm-up sets", "Do two lighter warm-up sets before your first working set."),
        P("Log every session", "Log every {kw} session: weight, reps, how it felt. Progress "
          "hides without notes."),
        P("One small jump a week", "Add one rep or a little weight each week, not both at once."),
        P("Same time, same place", "Train at the same time each week, so there's no daily "
          "decision to make."),
        P("Book it like a meeting", "Book {kw} in your calendar like a meeting you can't move."),
        P("Leave one rep in reserve", "End most sets with one good rep left in the tank."),
    )),
    (("financ", "money", "budget", "saving", "invest", "debt"), (
        P("Automate payday", "Set an automatic transfer for payday, so saving happens before "
          "spending."),
        P("Audit subscriptions", "List every subscription you pay for and cancel the one you "
          "forgot about."),
        P("Name every pot", "Give each savings pot a name and a date. 'Holiday, June' beats "
          "'savings'."),
        P("One number a week", "Check one number every Friday: what's left until payday."),
        P("24-hour rule", "Wait 24 hours before any unplanned purchase over an amount you set."),
    )),
    (("coffee", "espresso", "brew", "barista", "latte", "pour over", "pourover", "roast"), (
        P("Weigh, don't scoop", "Weigh the beans and the water. A 1:16 ratio is a calm place to "
          "start with {kw}."),
        P("Grind right before", "Grind right before you brew. Ground coffee goes flat within "
          "minutes."),
        P("Water just off the boil", "Let the kettle sit 30 seconds off the boil before "
          "pouring."),
        P("Change one thing", "Change one variable at a time, grind first, and taste the "
          "difference."),
        P("Rest the beans", "Use beans between 7 and 30 days after the roast date."),
        P("Bloom first", "Pour twice the coffee's weight in water and wait 30 seconds before "
          "the rest."),
    )),
    (("plant", "houseplant", "garden", "propagat", "succulent"), (
        P("Finger test first", "Push a finger 2 cm into the soil. Water only when it comes out "
          "dry."),
        P("Water less in winter", "Water less in winter, when growth slows and the soil stays wet "
          "longer."),
        P("Turn it weekly", "Turn pots a quarter turn each week so plants grow straight, not "
          "toward the window."),
        P("Drainage holes only", "Use pots with drainage holes. Standing water rots roots "
          "quietly."),
        P("Cut below a node", "Take cuttings just below a node. That's where new roots start."),
        P("Wipe the leaves", "Wipe dusty leaves with a damp cloth. Dust blocks the light they "
          "feed on."),
    )),
    (("business", "shop", "brand", "market", "sell", "store", "startup", "freelanc"), (
        P("Save your top DM reply", "Turn the question you answer most in DMs into a saved reply."),
        P("Cost next to price", "Write the cost per item next to its price. The gap is what you "
          "really earn."),
        P("Show the making", "Post one photo of {kw} being made. People buy the process too."),
        P("Ask for reviews same day", "Ask happy customers for a review the same day, while it's "
          "fresh."),
        P("One offer at a time", "Promote one offer at a time so nobody has to choose."),
    )),
)

EVIDENCE_BRIDGES: tuple[str, ...] = (
    "{source} ran “{title}”. Here's the practical side.",
    "Seen “{title}” ({source})? Here's how to use it this week.",
)

BRIDGES: dict[str, tuple[str, ...]] = {
    "list": ("Number {pick} is the one we'd start with.", "Save the list, then pick one."),
    "steps": ("Here's the order that works.", "Three minutes to read, one week to try."),
    "story": ("What changed was the order, not the effort.", "Here's what made the difference."),
    "myth_fact": ("Why people believe it: most advice starts with the hard part.",
                  "What's true is simpler."),
    "problem_solve": ("The usual snag: trying to change everything at once.",
                      "The fix is smaller than you'd think."),
}

BODY_LEADS: dict[str, tuple[str, ...]] = {
    "list": ("",),
    "steps": ("",),
    "story": ("What helped:", "What made it stick:"),
    "myth_fact": ("What to do instead:", "Do this instead:"),
    "problem_solve": ("The fix:", "Try this:"),
}

PAYOFFS: tuple[tuple[str, str], ...] = (
    ("That's {short}, sorted", "Do those, and you can cross {topic} off the someday list."),
    ("Small steps, done", "That's it. Small steps, done this week, beat a big plan for later."),
    ("Now it's repeatable", "Now it's a routine you can repeat, not a project you dread."),
)

REHOOKS: tuple[str, ...] = (
    "The next one is the one most people skip.",
    "This next one matters most.",
    "Here's where it usually slips.",
)

DEFAULT_CTAS: tuple[str, ...] = (
    "Save this for your next planning session.",
    "Send this to someone who's been meaning to start.",
    "Follow for one practical idea every week.",
)

GENERIC_HASHTAGS = frozenset({
    "reels", "explore", "explorepage", "viral", "fyp", "foryou", "foryoupage", "instagood",
    "followforfollow", "follow4follow", "f4f", "like4like", "l4l", "likeforlike", "instadaily",
})

EMOJI_BY_NICHE: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("bak", "bread", "pastr"), ("🥐", "🍞", "☕")),
    (("cook", "food", "recipe", "kitchen", "meal"), ("🍳", "🥗", "🍋")),
    (("fit", "gym", "run", "yoga", "train"), ("💪", "🏃", "⏱️")),
    (("financ", "money", "budget", "invest"), ("📊", "🗓️", "✅")),
    (("travel", "trip"), ("✈️", "🗺️", "🧳")),
    (("garden", "plant"), ("🌱", "🪴", "☀️")),
    (("tech", "software", "code", "ai"), ("💻", "⚙️", "🧠")),
)
DEFAULT_EMOJI: tuple[str, ...] = ("📌", "✅", "💡")

VISUALS: dict[Format, str] = {
    Format.IMAGE: "Single 4:5 photo (1080x1350)",
    Format.CAROUSEL: "Carousel cover, 4:5 (1080x1350), bold headline area top third",
    Format.REEL: "Vertical 9:16 video first frame (1080x1920), subject centred, motion implied",
    Format.STORY: "Vertical 9:16 story frame (1080x1920), text band between 14% and 80% height",
}

PROMISES: dict[str, tuple[str, str]] = {
    "list": ("{n} to save", "Here are {n}, in the order we'd do them."),
    "steps": ("{n} steps", "Here's the order. {n} steps."),
    "story": ("Here's what changed", "Here's what changed."),
    "myth_fact": ("What's actually true", "Here's what's actually true."),
    "problem_solve": ("The fix, in {n} parts", "The fix comes in {n} parts."),
}
