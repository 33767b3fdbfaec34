"""Free-text intake without an LLM: hints from a sentence, matched against the inventory.

"I have an issue with AWS ECS service checkout-api in prod" -> service checkout-api,
environment prod. Hints come from patterns (ARNs, region codes, "cluster X", "in prod");
matching is exact first, then fuzzy (difflib), and filtered by the environment or cluster.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass

REGION = re.compile(r"\b((?:us|eu|ap|sa|ca|me|af|il|mx)(?:-gov)?-[a-z]+-\d)\b")
ARN = re.compile(r"\barn:aws[\w-]*:ecs:[\w-]+:\d{12}:service/[\w./-]*[\w-]")
NAME = r"([A-Za-z0-9][\w.-]*[\w])"
SERVICE_AFTER = re.compile(rf"\bservices?\s+(?:called\s+|named\s+)?[\"'`]?{NAME}", re.IGNORECASE)
SERVICE_BEFORE = re.compile(rf"\b{NAME}\s+service\b", re.IGNORECASE)
CLUSTER_AFTER = re.compile(rf"\bcluster\s+(?:called\s+|named\s+)?[\"'`]?{NAME}", re.IGNORECASE)
CLUSTER_BEFORE = re.compile(rf"\b{NAME}\s+cluster\b", re.IGNORECASE)
ENV_AFTER = re.compile(rf"\b(?:in|on|env|environment)\s+(?:the\s+)?{NAME}", re.IGNORECASE)
ENV_BEFORE = re.compile(rf"\b{NAME}\s+(?:env|environment)\b", re.IGNORECASE)
ENV_WORDS = frozenset(
    {
        "prod",
        "production",
        "staging",
        "stage",
        "dev",
        "development",
        "test",
        "qa",
        "uat",
        "preprod",
        "sandbox",
        "demo",
        "lab",
    }
)
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "my",
        "our",
        "this",
        "that",
        "aws",
        "ecs",
        "amazon",
        "fargate",
        "ec2",
        "i",
        "have",
        "has",
        "is",
        "are",
        "with",
        "issue",
        "issues",
        "problem",
        "problems",
        "in",
        "on",
        "of",
        "for",
        "and",
        "it",
        "its",
        "why",
        "what",
        "not",
        "failing",
        "broken",
        "down",
        "help",
        "please",
        "service",
        "services",
        "cluster",
        "env",
        "environment",
        "account",
        "region",
        "can",
        "you",
        "check",
        "look",
        "at",
        "keeps",
        "crashing",
        "does",
        "doesn't",
        "work",
        "working",
        "slow",
        "error",
        "errors",
        "there",
        "from",
        "to",
        "me",
    }
)
GOOD = 0.85  # a fuzzy match this close is taken without asking
CLOSE = 0.6  # close enough to offer


@dataclass(frozen=True, slots=True)
class Hints:
    """What a sentence says about the target; every field may be missing."""

    services: tuple[str, ...] = ()  # candidate names, most explicit first
    cluster: str | None = None
    environment: str | None = None
    region: str | None = None
    arn: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """One service of the inventory (Planton or AWS)."""

    name: str
    cluster: str | None = None
    environment: str | None = None

    @property
    def label(self) -> str:
        """The name with its environment or cluster, for messages."""
        where = f"env {self.environment}" if self.environment else f"cluster {self.cluster}"
        return f"{self.name} ({where})"


@dataclass(frozen=True, slots=True)
class Match:
    """The outcome of matching: one choice, several candidates, or close names."""

    chosen: Candidate | None = None
    several: tuple[Candidate, ...] = ()
    close: tuple[Candidate, ...] = ()


def parse_request(text: str) -> Hints:
    """The hints in a sentence (pure; no inventory needed)."""
    arn = ARN.search(text)
    region = REGION.search(text)
    cluster = _first(text, CLUSTER_AFTER, CLUSTER_BEFORE)
    environment = _environment(text, cluster)
    explicit = [m for p in (SERVICE_AFTER, SERVICE_BEFORE) for m in p.findall(text)]
    taken = {cluster, environment, region[1] if region else None}
    words = [w for w in re.findall(NAME, text) if w.lower() not in STOPWORDS and w not in taken]
    names = [n for n in [*explicit, *words] if n.lower() not in STOPWORDS and n not in taken]
    joined = [f"{a}-{b}" for a, b in itertools.pairwise(words)]  # "checkout api"
    return Hints(
        services=tuple(dict.fromkeys([*names, *joined])),
        cluster=cluster,
        environment=environment,
        region=region[1] if region else None,
        arn=arn[0] if arn else None,
    )


def _first(text: str, *patterns: re.Pattern[str]) -> str | None:
    for pattern in patterns:
        for found in pattern.findall(text):
            if found.lower() not in STOPWORDS:
                return str(found)
    return None


def _environment(text: str, cluster: str | None) -> str | None:
    """The environment named by "in prod", "prod environment", or a well-known word."""
    for pattern in (ENV_BEFORE, ENV_AFTER):
        for found in pattern.findall(text):
            lowered = found.lower()
            if lowered not in STOPWORDS and found != cluster and not REGION.fullmatch(lowered):
                return str(found)
    words = [w for w in re.findall(r"[\w-]+", text.lower()) if w in ENV_WORDS]
    return words[0] if words else None


def match(hints: Hints, inventory: list[Candidate]) -> Match:
    """One good match, several, or close ones; filtered by the environment and cluster hints."""
    scoped = [c for c in inventory if _in_scope(c, hints)]
    names = [n.lower() for n in hints.services]
    exact = [c for c in scoped if c.name.lower() in names]
    if exact:
        return _decide(exact)
    if not names:
        return _decide(scoped) if len(scoped) == 1 else Match(several=tuple(scoped))
    scored = [(max(_ratio(n, c.name) for n in names), c) for c in scoped]
    good = [c for score, c in scored if score >= GOOD]
    if good:
        return _decide(good)
    everywhere = [(max(_ratio(n, c.name) for n in names), c) for c in inventory]
    close = [c for score, c in sorted(everywhere, key=lambda s: -s[0]) if score >= CLOSE]
    return Match(close=tuple(close[:5]))


def _decide(candidates: list[Candidate]) -> Match:
    unique = tuple(dict.fromkeys(candidates))
    return Match(chosen=unique[0]) if len(unique) == 1 else Match(several=unique)


def _in_scope(candidate: Candidate, hints: Hints) -> bool:
    if hints.cluster and candidate.cluster and candidate.cluster != hints.cluster:
        return False
    env = hints.environment
    if not env:
        return True
    if candidate.environment:
        return candidate.environment.lower() == env.lower()
    return env.lower() in re.split(r"[-_/]", (candidate.cluster or "").lower())


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()
