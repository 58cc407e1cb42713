"""Sigma-native detection: rules (``rule``), conditions (``condition``), values and modifiers (``values``),
compilation (``compiler``), evaluation (``engine``) and ATT&CK lookups (``attack``). Pure: rules and events in,
alerts out; reading files is done by :mod:`garrison.events`.
"""

from garrison.detect.attack import AttackData, load_attack
from garrison.detect.compiler import CompiledRule, compile_rule
from garrison.detect.correlation import CorrelationRule, Correlator, parse_correlation
from garrison.detect.engine import Alert, Engine, event_to_json
from garrison.detect.rule import SigmaRule, parse_rule

__all__ = [
    "Alert",
    "AttackData",
    "CompiledRule",
    "CorrelationRule",
    "Correlator",
    "Engine",
    "SigmaRule",
    "compile_rule",
    "event_to_json",
    "load_attack",
    "parse_correlation",
    "parse_rule",
]
