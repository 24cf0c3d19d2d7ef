"""Every feature's models, imported so Alembic and create_all see them all."""

from portal.accounts.models import Org, RoleGrant, Team, User  # noqa: F401
from portal.audit.models import AuditEvent  # noqa: F401
from portal.auth.models import (  # noqa: F401
    AccountLink,
    PasswordResetRequest,
    UserSession,
)
from portal.enrollment.models import (  # noqa: F401
    Cohort,
    CohortDueDate,
    Enrollment,
    EnrollmentEvent,
)
from portal.jobs.models import JobRun, SentReminder  # noqa: F401
from portal.mail.models import OutboxMessage  # noqa: F401
from portal.notifications.models import Notification, NotificationPreference  # noqa: F401
from portal.recognition.models import (  # noqa: F401
    Award,
    AwardKind,
    BadgeAward,
    Kudos,
    PointsEntry,
    PointsSnapshot,
    PointsTotal,
    RecognitionPreference,
)
from portal.reviews.models import (  # noqa: F401
    Finding,
    GuideEdition,
    ReadinessCheck,
    Review,
    ReviewEvent,
    ReviewPerson,
    Survey,
)
from portal.training.models import (  # noqa: F401
    Certificate,
    Module,
    ModuleDueDate,
    ModuleProgress,
    ModuleVersion,
    QuizAnswer,
    QuizAttempt,
)
