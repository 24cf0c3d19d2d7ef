"""Training events other features react to (enrollment marks people certified)."""

from blinker import Namespace

_signals = Namespace()

module_passed = _signals.signal("module-passed")
certified = _signals.signal("certified")
