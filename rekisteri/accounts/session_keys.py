"""What the staff accounts keep in a signed-in (or signing-in) browser's session: the
keys, and how often the middleware looks at them again. One module below all the others,
so that the sign-in services, the middleware and the session list share the names
without importing each other. The values are in sessions already stored: never change
them."""

# When the password was given at sign-in: the session ends SESSION_ABSOLUTE_SECONDS later.
SESSION_LOGIN_AT = "rekisteri_login_at"
# When the password or an authenticator code was last given (signing in counts): exports,
# erasure and the like ask again after settings.REAUTH_SECONDS.
SESSION_AUTH_AT = "rekisteri_auth_at"

# When the idle time was last restarted. It restarts at most once a minute: renewing on
# every request would write the session row on every page view (and on SQLite take the
# write lock).
SESSION_RENEWED_AT = "rekisteri_renewed_at"
SESSION_RENEW_SECONDS = 60

# The StaffSession row of this session, for the staff member's list of their sessions.
SESSION_RECORD = "rekisteri_staff_session"

# The pledge version this session has seen accepted, so it is not asked on every page.
PLEDGE_SESSION_KEY = "rekisteri_pledge_version"

# When this session was last found to need no second factor. It is checked again at
# most once a minute, so that a page view costs no extra queries; a new role that needs
# one applies within it.
TWO_FACTOR_CHECKED_AT = "rekisteri_two_factor_checked_at"
TWO_FACTOR_CHECK_SECONDS = 60

# An authenticator being set up: its new key, encrypted, until a code confirms it.
ENROLLMENT_SESSION_KEY = "rekisteri_two_factor_enrollment"

# Between the right password and the second factor the session is not signed in; it
# holds whom the code is for, for PENDING_SECONDS.
PENDING_USER = "rekisteri_pending_user"
PENDING_BACKEND = "rekisteri_pending_backend"
PENDING_AT = "rekisteri_pending_at"
PENDING_FAILURES = "rekisteri_pending_failures"
PENDING_SECONDS = 5 * 60
