"""liveView: the web UI of contract section 5, served by the Focus Server at ``/liveView``.

Static HTML, CSS and plain JavaScript modules (``static/``, no build step) that call the
same REST API as the suite. A browser signs in with a cookie session (HttpOnly, Secure,
SameSite=Strict, see :mod:`.session`); its state-changing requests carry ``X-CSRF-Token``.
"""

UI_PREFIX = "/liveView"
