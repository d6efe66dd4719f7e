"""English stop words excluded from keyword counts.

The classic function-word list (articles, pronouns, auxiliaries, prepositions,
conjunctions, common adverbs), their contractions with a straight apostrophe (the
analyzer folds typographic apostrophes to ``'`` before looking words up), and a few
spoken fillers that show up in narration scripts but never make a useful keyword.
"""

from __future__ import annotations

_FUNCTION_WORDS = """
a about above after again against all also am an and any are as at
be because been before being below between both but by
can could
did do does doing down during
each
few for from further
had has have having he her here hers herself him himself his how
i if in into is it its itself
just
me more most my myself
no nor not now
of off on once only or other our ours ourselves out over own
same she should so some such
than that the their theirs them themselves then there these they this those through
to too
under until up upon us
very
was we were what when where which while who whom whose why will with would
you your yours yourself yourselves
"""

_CONTRACTIONS = """
ain't aren't can't couldn't didn't doesn't don't hadn't hasn't haven't isn't
mightn't mustn't needn't shan't shouldn't wasn't weren't won't wouldn't
he'd he'll he's here's how's i'd i'll i'm i've it'd it'll it's let's
she'd she'll she's that's there's they'd they'll they're they've
we'd we'll we're we've what's when's where's who's why's
you'd you'll you're you've y'all
"""

_FILLERS = """
gonna gotta wanna um uh uhm er hmm oh okay ok yeah yep hey hi
like really actually basically literally get got going
guys folks everyone everybody kinda sorta stuff today
"""

STOP_WORDS: frozenset[str] = frozenset((_FUNCTION_WORDS + _CONTRACTIONS + _FILLERS).split())
"""Lower-case English stop words (straight apostrophes), about 190 entries."""
