"""Lint rules: the mistakes that are valid YAML and still wrong, most of them hidden by the merge
rules. Rules read the validated Config and never change it.

    registry.py           Rule, RULES and the @rule decorator (names and severities: streamconf.codes)
    context.py            what the rules look at: realms, their compilers and walks, layer values
    runner.py             lint(): every enabled rule, at the repository's severities
    keys.py               SL001 SL002 SL005
    merges.py             SL003 SL004 SL006 SL007
    patterns.py           SL008 SL009
    eventlogging.py       SL010
    allowed_values.py     SL011 SL014 SL015
    schema_repository.py  SL012 SL013
    instruments.py        SL101–SL115
    owners.py             SL201 SL202 SL203
    misspellings.py       SL301
    plain_keys.py         SL401

A new family of rules is a new module here, imported below so that its rules register.

Turn a rule off for the repository in streamconf.yaml (`rules: {disable: [SL006]}`), change its
severity (`rules: {severity: {SL001: warning}}`), or turn it off for one line with
`# streamconf: disable=SL006` on it (`disable-next-line=` on the line before).
"""

from . import (allowed_values, eventlogging, instruments, keys, merges, misspellings, owners, patterns,  # noqa: F401 - registers the rules
               plain_keys, schema_repository)
from .registry import RULES, Rule
from .runner import lint

__all__ = ["RULES", "Rule", "lint"]
