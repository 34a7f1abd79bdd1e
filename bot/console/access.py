"""Who may open which console route: one table, enforced for every route by
:func:`bot.console.guard.guard` and walked by the security tests.

A route is known by its name (``name=`` when it is registered). A route missing from
:data:`ACCESS` is refused to everyone, so a new page is closed until it is listed here.
"""

from __future__ import annotations

ADMIN, EDITOR, AGENT, CAMPAIGNER, VIEWER = "admin", "editor", "agent", "campaigner", "viewer"
#: Every role, most powerful first (the order ``suara staff`` and the pages list them in).
ROLES: tuple[str, ...] = (ADMIN, EDITOR, AGENT, CAMPAIGNER, VIEWER)
#: Routes anyone may open, signed in or not (the login page, its language switch, the assets).
PUBLIC = frozenset({"*"})
STAFF = frozenset(ROLES)

ACCESS: dict[str, frozenset[str]] = {
    "static": PUBLIC,
    "login.form": PUBLIC,
    "login.submit": PUBLIC,
    "language": PUBLIC,
    "home": STAFF,
    "logout": STAFF,
    "knowledge.list": frozenset({ADMIN, EDITOR}),
    "knowledge.new": frozenset({ADMIN, EDITOR}),
    "knowledge.edit": frozenset({ADMIN, EDITOR}),
    "knowledge.check": frozenset({ADMIN, EDITOR}),
    "knowledge.publish": frozenset({ADMIN, EDITOR}),
    "knowledge.history": frozenset({ADMIN, EDITOR}),
    "knowledge.rollback": frozenset({ADMIN, EDITOR}),
    "unanswered.list": frozenset({ADMIN, EDITOR, AGENT}),
    "unanswered.handled": frozenset({ADMIN, EDITOR, AGENT}),
    # Adding a phrasing publishes knowledge: an editor's job, not an agent's.
    "unanswered.phrasing": frozenset({ADMIN, EDITOR}),
    "audit.list": frozenset({ADMIN}),
    # Contacts: agents look voters up, campaigners check segments; only an admin erases.
    "contacts.list": frozenset({ADMIN, AGENT, CAMPAIGNER}),
    "contacts.show": frozenset({ADMIN, AGENT, CAMPAIGNER}),
    "contacts.erase_confirm": frozenset({ADMIN}),
    "contacts.erase": frozenset({ADMIN}),
    "reminders.list": frozenset({ADMIN, CAMPAIGNER}),
    "reminders.new": frozenset({ADMIN, CAMPAIGNER}),
    "reminders.check": frozenset({ADMIN, CAMPAIGNER}),
    "reminders.schedule": frozenset({ADMIN, CAMPAIGNER}),
    "reminders.plan": frozenset({ADMIN, CAMPAIGNER}),
    "reminders.show": frozenset({ADMIN, CAMPAIGNER}),
    "reminders.preview": frozenset({ADMIN, CAMPAIGNER}),
    "reminders.progress": frozenset({ADMIN, CAMPAIGNER}),
    "reminders.pause": frozenset({ADMIN, CAMPAIGNER}),
    "reminders.resume": frozenset({ADMIN, CAMPAIGNER}),
    "reminders.cancel": frozenset({ADMIN, CAMPAIGNER}),
    "dashboard": frozenset({ADMIN, CAMPAIGNER, VIEWER}),
    "dashboard.chart": frozenset({ADMIN, CAMPAIGNER, VIEWER}),
    "flows.list": frozenset({ADMIN, EDITOR}),
    "flows.edit": frozenset({ADMIN, EDITOR}),
    "flows.check": frozenset({ADMIN, EDITOR}),
    "flows.simulate": frozenset({ADMIN, EDITOR}),
    "flows.publish": frozenset({ADMIN, EDITOR}),
    "flows.history": frozenset({ADMIN, EDITOR}),
    "flows.rollback": frozenset({ADMIN, EDITOR}),
    # The agent inbox: conversations handed to staff, replies, notes, canned replies.
    "inbox.list": frozenset({ADMIN, AGENT}),
    "inbox.conversation": frozenset({ADMIN, AGENT}),
    "inbox.updates": frozenset({ADMIN, AGENT}),
    "inbox.take": frozenset({ADMIN, AGENT}),
    "inbox.assign": frozenset({ADMIN, AGENT}),
    "inbox.state": frozenset({ADMIN, AGENT}),
    "inbox.reply": frozenset({ADMIN, AGENT}),
    "inbox.note": frozenset({ADMIN, AGENT}),
    "canned.list": frozenset({ADMIN, AGENT}),
    "canned.add": frozenset({ADMIN, AGENT}),
    "canned.delete": frozenset({ADMIN, AGENT}),
}

#: The navigation, in order: (route name, text key). Each item shows only to roles that may open it.
NAV: tuple[tuple[str, str], ...] = (
    ("dashboard", "nav.dashboard"),  # first: the home page of viewers (and admins, campaigners)
    ("knowledge.list", "nav.knowledge"),
    ("inbox.list", "nav.inbox"),  # before the queue: an agent's home page
    ("unanswered.list", "nav.unanswered"),
    ("flows.list", "nav.flows"),
    ("contacts.list", "nav.contacts"),
    ("reminders.list", "nav.reminders"),
    ("audit.list", "nav.audit"),
)


def allowed(route_name: str | None, role: str | None) -> bool:
    """Whether ``role`` (``None``: not signed in) may use the route called ``route_name``."""
    roles = ACCESS.get(route_name or "", frozenset())
    return roles is PUBLIC or (role is not None and role in roles)


def is_public(route_name: str | None) -> bool:
    return ACCESS.get(route_name or "") is PUBLIC


def nav_for(role: str) -> list[tuple[str, str]]:
    """The navigation items ``role`` may see."""
    return [(name, text) for name, text in NAV if allowed(name, role)]
