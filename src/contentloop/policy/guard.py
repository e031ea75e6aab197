"""The guard runs every rule over a variant, and decides which variant (if any) to approve."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from contentloop.domain import Account, ApprovalMode, Severity, Variant, Verdict

from .rules import RegexRule, Rule, regex_rules
from .settings import PolicySettings

AWAITING_HUMAN = "awaiting human approval"


class Guard:
    """An ordered set of rules; `review` returns every verdict they raise."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: list[Rule] = list(rules)
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule ids must be unique; duplicated: {', '.join(dupes)}")

    @classmethod
    def default(
        cls,
        account: Account,
        recent_captions: Sequence[str] = (),
        extra_regex_rules: Iterable[Mapping[str, object] | RegexRule] = (),
        settings: PolicySettings | None = None,
    ) -> Guard:
        """Platform limits, brand, disclosure, claims, privacy, profanity, freshness,
        trademarks, lyrics, readability, then the account's own rules (`settings`)."""
        rules = (settings or PolicySettings()).build(recent_captions)
        return cls([*rules, *regex_rules(extra_regex_rules)])

    def review(self, variant: Variant, account: Account) -> list[Verdict]:
        verdicts: list[Verdict] = []
        for rule in self.rules:
            verdicts.extend(rule.check(variant, account))
        return verdicts

    def review_all(self, variants: Iterable[Variant], account: Account) -> list[Variant]:
        """Review each variant and store the verdicts on it (`variant.verdicts`)."""
        out = []
        for v in variants:
            v.verdicts = self.review(v, account)
            out.append(v)
        return out

    def decide(
        self, variants: Sequence[Variant], account: Account
    ) -> tuple[Variant | None, str]:
        """Review, then `approve_decision`."""
        return approve_decision(self.review_all(variants, account), account)


def approve_decision(
    variants: Sequence[Variant], account: Account
) -> tuple[Variant | None, str]:
    """Pick the variant to approve from already-reviewed variants (their `verdicts`).

    manual: nobody is chosen automatically. auto: highest score with no block, no warn and
    score >= account.auto_approve_threshold. auto_digest: highest score with no block (warns
    go to the digest a person reads). Ties keep the earlier variant. Does not mutate.
    """
    if account.approval_mode is ApprovalMode.MANUAL:
        return None, AWAITING_HUMAN
    if not variants:
        return None, "no variants to choose from"
    strict = account.approval_mode is ApprovalMode.AUTO
    threshold = account.auto_approve_threshold
    eligible: list[Variant] = []
    rejected: list[str] = []
    for v in variants:
        blocks = [x.rule for x in v.verdicts if x.severity is Severity.BLOCK]
        warns = [x.rule for x in v.verdicts if x.severity is Severity.WARN]
        if blocks:
            rejected.append(f"{v.id} blocked by {', '.join(sorted(set(blocks)))}")
        elif strict and warns:
            rejected.append(f"{v.id} needs review ({', '.join(sorted(set(warns)))})")
        elif strict and v.score < threshold:
            rejected.append(f"{v.id} score {v.score:.2f} < threshold {threshold:.2f}")
        else:
            eligible.append(v)
    if not eligible:
        return None, "no variant can be auto-approved: " + "; ".join(rejected)
    best = max(eligible, key=lambda v: (v.score, -variants.index(v)))
    mode = account.approval_mode.value
    return best, f"auto-approved ({mode}): {best.id} has the highest score {best.score:.2f}"
