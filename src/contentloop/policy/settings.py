"""Per-account policy settings: which rules run, how strict, and custom rules from config.

Read from `[accounts.policy]` in contentloop.toml (see `config.AccountPolicyConfig`), so two
accounts can share one loop and still follow different rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from contentloop.domain import ConfigError, Severity

from .rules import NearDuplicateRule, RegexRule, Rule, default_rules, regex_rules
from .rules_extra import DEFAULT_TRADEMARKS, ReadabilityRule, SongLyricsRule, TrademarkRule


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """Knobs for one account's guard. The defaults are the shipped behaviour."""

    trademarks: tuple[str, ...] = ()  # extra marks on top of DEFAULT_TRADEMARKS
    default_trademarks: bool = True
    readability_max_grade: float = 8.0
    max_sentence_words: int = 25
    duplicate_threshold: float = 0.6
    disabled: tuple[str, ...] = ()  # rule ids not to run
    severity: Mapping[str, str] = field(default_factory=dict)  # rule id -> block|warn
    rules: tuple[Mapping[str, object], ...] = ()  # regex rules {id, pattern, severity, reason}

    def build(self, recent_captions: Sequence[str] = ()) -> list[Rule]:
        """The account's rules, in a stable order, with overrides applied."""
        marks = (DEFAULT_TRADEMARKS if self.default_trademarks else ()) + tuple(self.trademarks)
        base: list[Rule] = []
        for r in default_rules(recent_captions):
            if isinstance(r, NearDuplicateRule):
                r = NearDuplicateRule(recent_captions=r.recent_captions,
                                      threshold=self.duplicate_threshold)
            base.append(r)
        base += [
            TrademarkRule(marks=marks),
            SongLyricsRule(),
            ReadabilityRule(max_grade=self.readability_max_grade,
                            max_sentence_words=self.max_sentence_words),
            *regex_rules(self.rules),
        ]
        known = {r.id for r in base}
        for rid in [*self.disabled, *self.severity]:
            if rid not in known:
                raise ConfigError("policy.disabled/severity", rid,
                                  f"a rule id, one of {', '.join(sorted(known))}")
        out: list[Rule] = []
        for r in base:
            if r.id in self.disabled:
                continue
            if r.id in self.severity:
                r = _with_severity(r, self.severity[r.id])
            out.append(r)
        return out


def _with_severity(rule: Rule, raw: str) -> Rule:
    try:
        sev = Severity(str(raw).lower())
    except ValueError as e:
        raise ConfigError(f"policy.severity.{rule.id}", raw, "'block' or 'warn'") from e
    if isinstance(rule, RegexRule):
        return RegexRule(rule.id, rule.pattern, sev, rule.reason)
    return replace(rule, severity=sev)  # type: ignore[type-var]


__all__ = ["PolicySettings"]
