"""The twin's Focus Server (``panda-panda-focus-server``): contract section 2 on FastAPI.

``python -m twin.focus_server`` serves HTTPS on the twin's focus port; tests build the
same application in-process with :func:`twin.focus_server.app.create_app`.
"""

VERSION = "1.0.0-twin"
API_PREFIX = "/focus-server"
