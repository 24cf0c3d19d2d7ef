"""The audit log in words: each event as a sentence with its people linked, and
its changed fields as before → after.

Sentences are built from parts (plain text, or text with a link), never by
formatting people's text into a template, so a name holding "{x}" or markup
stays what it is; the template escapes every part.
"""

import re
from dataclasses import dataclass, field

from portal.accounts.models import Role

TOKEN = re.compile(r"\{(\w+)\}")

# action -> (what the filter calls it, the sentence)
ACTIONS = {
    "role.grant": ("Role granted", "{actor} granted the {role} role to {target}"),
    "role.revoke": ("Role taken away", "{actor} took the {role} role from {target}"),
    "user.create": ("Account created", "{actor} created the account of {target}"),
    "user.deactivate": (
        "Account deactivated",
        "{actor} deactivated the account of {target}",
    ),
    "user.reactivate": (
        "Account reactivated",
        "{actor} reactivated the account of {target}",
    ),
    "sessions.revoke_all": (
        "Signed out everywhere",
        "{actor} signed out of every device",
    ),
    "accounts.import": (
        "People imported",
        "{actor} imported people: {users_created} created, {users_updated} "
        "updated, {teams_created} teams created, {roles_granted} roles granted",
    ),
    "org.create": ("Org created", "{actor} created the org {target}"),
    "org.update": ("Org edited", "{actor} edited the org {target}"),
    "org.ratio_target": (
        "Coverage target set",
        "{actor} set the Guardian coverage target of {target}",
    ),
    "team.create": ("Team created", "{actor} created the team {target} in {org}"),
    "team.update": ("Team edited", "{actor} edited the team {target}"),
    "cohort.create": ("Cohort opened", "{actor} opened cohort {target}"),
    "cohort.update": ("Cohort edited", "{actor} edited cohort {target}"),
    "cohort.due_dates": (
        "Cohort due dates changed",
        "{actor} changed the due dates of cohort {target}",
    ),
    "cohort.close": ("Cohort closed", "{actor} closed cohort {target}"),
    "cohort.reopen": ("Cohort reopened", "{actor} reopened cohort {target}"),
    "cohort.delete": ("Cohort deleted", "{actor} deleted cohort {target}"),
    "enrollment.applied": (
        "Nomination confirmed",
        "{target} confirmed their nomination and applied",
    ),
    "enrollment.approved": (
        "Application approved",
        "{actor} approved {target} into cohort {cohort}",
    ),
    "enrollment.in_training": (
        "Training started",
        "{target} started training in cohort {cohort}",
    ),
    "enrollment.certified": ("Guardian certified", "{target} was certified"),
    "enrollment.active": ("Guardian active", "{target} became an active Guardian"),
    "enrollment.alumni": (
        "Guardian stepped down",
        "{target} became an alumni Guardian",
    ),
    "enrollment.declined": (
        "Application declined",
        "{actor} declined the application of {target}",
    ),
    "enrollment.withdrawn": (
        "Application withdrawn",
        "{target} withdrew their application",
    ),
    "enrollment.step_down_planned": (
        "Step-down planned",
        "{actor} planned the step-down of {target} for {on}",
    ),
    "certificate.revoke": (
        "Certificate revoked",
        "{actor} revoked the Guardian certificate of {target}",
    ),
    "training.attempts_granted": (
        "Attempts granted",
        "{actor} gave {target} {attempts} more attempt(s) at {module}",
    ),
    "training.module_reset": (
        "Module reset",
        "{actor} reset {module} for {target}",
    ),
    "review.create": ("Review recorded", "{actor} recorded the review {target}"),
    "review.update": ("Review edited", "{actor} edited the review {target}"),
    "review.stage": ("Review moved", "{actor} moved the review {target}"),
    "review.findings": (
        "Finding counts set",
        "{actor} set the finding counts of {target}",
    ),
    "review.finding_add": (
        "Finding listed",
        "{actor} listed the finding “{finding}” on {target}",
    ),
    "review.finding_update": (
        "Finding updated",
        "{actor} updated the finding “{finding}” on {target}",
    ),
    "review.finding_remove": (
        "Finding removed",
        "{actor} took the finding “{finding}” off {target}",
    ),
    "reviews.import": (
        "Reviews imported",
        "{actor} imported reviews: {reviews_created} created, {reviews_updated} "
        "updated, {surveys_saved} surveys saved",
    ),
    "survey.submit": ("Survey submitted", "{actor} filled the survey of {target}"),
    "survey.edit": ("Survey edited", "{actor} edited their survey of {target}"),
    "survey.guide_edit": (
        "Calibration guide edited",
        "{actor} published {target}",
    ),
    "demo.seed": ("Demo data loaded", "{actor} loaded the demo data"),
}
# A Guardian sent back to training reads differently from one starting it.
LAPSED = "{target} is no longer an active Guardian and is back in training"
TARGET_PATHS = {
    "user": "/people/{id}",
    "enrollment": "/program/applications/{id}",
    "cohort": "/program/cohorts/{id}",
    "org": "/orgs/{id}",
    "team": "/teams/{id}",
    "review": "/reviews/{id}",
    "survey_guide": "/reviews/guide",
}
# Details that only help the sentence or the CSV, not a reader of the page.
QUIET = {"user_id", "from_status", "code", "source", "cohort"}


@dataclass(frozen=True)
class Part:
    text: str
    url: str | None = None


@dataclass
class Described:
    event: object
    sentence: list
    changes: list = field(default_factory=list)  # (what, before, after)
    notes: list = field(default_factory=list)  # (what, value)

    @property
    def text(self):
        return "".join(part.text for part in self.sentence)


def action_choices():
    """The filter's choices, from the catalog (no scan of the log)."""
    return sorted(
        ((action, label) for action, (label, _) in ACTIONS.items()), key=lambda c: c[1]
    )


def _person(user):
    return Part(user.display_name, f"/people/{user.id}")


def _actor_part(event):
    if event.actor is not None:
        return _person(event.actor)
    if event.details.get("source") == "cli" or event.action in (
        "accounts.import",
        "reviews.import",
    ):
        return Part("Someone at the command line")
    return Part("The portal")


def _target_part(event):
    name = event.target_name or f"{event.target_type} {event.target_id}"
    if event.action == "cohort.delete":
        return Part(name)
    if event.target_type == "certificate" and event.details.get("code"):
        return Part(name, f"/certificates/{event.details['code']}")
    path = TARGET_PATHS.get(event.target_type)
    return Part(name, path.format(id=event.target_id) if path else None)


def _value(key, value):
    if key == "role":
        return Role(value).label.lower() if value in {r.value for r in Role} else value
    return "" if value is None else str(value)


def _sentence(event):
    template = ACTIONS.get(event.action, (None, None))[1]
    if event.action == "enrollment.in_training" and (
        event.details.get("from_status") == "active"
    ):
        template = LAPSED
    if template is None:
        template = "{actor}: " + event.action + " on {target}"
    parts, used, position = [], set(), 0
    for match in TOKEN.finditer(template):
        parts.append(Part(template[position : match.start()]))
        key = match.group(1)
        used.add(key)
        if key == "actor":
            parts.append(_actor_part(event))
        elif key == "target":
            parts.append(_target_part(event))
        else:
            parts.append(Part(_value(key, event.details.get(key))))
        position = match.end()
    parts.append(Part(template[position:]))
    if event.actor is None and event.caused_by is not None:
        parts += [Part(", after an action of "), _person(event.caused_by)]
    return [p for p in parts if p.text], used


def _label(key):
    return key.replace("_", " ").capitalize()


def describe(event):
    """One audit event in words; reads only the event and its two people."""
    sentence, used = _sentence(event)
    described = Described(event=event, sentence=sentence)
    for key, value in sorted(event.details.items()):
        if key in used or key in QUIET or value in ("", None):
            continue
        if isinstance(value, list) and len(value) == 2:
            described.changes.append((_label(key), *(_value(key, v) for v in value)))
        elif isinstance(value, dict):
            for what, pair in sorted(value.items()):
                before, after = pair if isinstance(pair, list) else (None, pair)
                described.changes.append(
                    (f"{_label(key)}: {what}", _value(key, before), _value(key, after))
                )
        else:
            described.notes.append((_label(key), _value(key, value)))
    return described
