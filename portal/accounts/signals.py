"""Events from accounts that higher features react to (notifications, for one).

Accounts sit below every other feature, so they announce what happened rather
than calling upward.
"""

from blinker import Namespace

_signals = Namespace()

role_granted = _signals.signal("role-granted")
role_revoked = _signals.signal("role-revoked")
password_changed = _signals.signal("password-changed")
