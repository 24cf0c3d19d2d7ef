"""Training events other features react to: enrollment makes the certified
active Guardians, and sends them back to training when a certificate is revoked."""

from blinker import Namespace

_signals = Namespace()

module_passed = _signals.signal("module-passed")
certified = _signals.signal("certified")
certificate_revoked = _signals.signal("certificate-revoked")
