"""JupyterHub for a DevOps Interview Lab workshop on one Linux machine.

One hub, one JupyterLab per learner running as that learner's own Linux account (JupyterHub's
local process spawner), and nbgrader across the accounts as its guide "Using nbgrader with
JupyterHub" lays out: the course's hub groups ``formgrade-<course>`` (staff) and
``nbgrader-<course>`` (learners), roles giving each group the scopes nbgrader's extensions use,
the formgrader as a hub-managed service running as the ``grader-<course>`` account, and one
exchange folder on the machine.

Where things are (the environment, the course folder, the exchange, the ports) comes from
``workshop.py``'s settings, so the setup script and the hub always agree. Start it with
``make hub`` (a trial on 127.0.0.1) or ``workshop.py start``.
"""

import os
import pwd
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workshop import HERE, Workshop, group_members  # noqa: E402

c = get_config()  # noqa: F821  (JupyterHub injects get_config)
workshop = Workshop.from_env()
STAFF_GROUP, LEARNER_GROUP = workshop.hub_groups  # formgrade-<course>, nbgrader-<course>
COURSE = workshop.course_id

# --- Network ------------------------------------------------------------------------------
# Everything listens on the loopback address by default: a trial is reached through an SSH
# tunnel, and a real workshop puts HTTPS in front (a reverse proxy, or JupyterHub.ssl_cert)
# before setting INTERVIEW_LAB_HUB_IP to a public address. Passwords never cross a network
# in clear text.
c.JupyterHub.ip = workshop.ip
c.JupyterHub.port = workshop.port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = workshop.hub_port
# The proxy is configurable-http-proxy from this folder's package-lock.json (npm ci), not
# whatever happens to be on PATH, so every machine runs the same pinned proxy.
c.ConfigurableHTTPProxy.command = [str(HERE / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{workshop.port + 1}"
c.ConfigurableHTTPProxy.pid_file = str(workshop.state / "jupyterhub-proxy.pid")

# --- State --------------------------------------------------------------------------------
# The hub's database and cookie secret live in a root-only folder outside the course clone.
# SQLite is enough for the hub's own records even with hundreds of users (it stores users,
# tokens and server addresses, not work); INTERVIEW_LAB_HUB_DB_URL can point it elsewhere.
c.JupyterHub.db_url = workshop.database_url()
c.JupyterHub.cookie_secret_file = str(workshop.state / "jupyterhub_cookie_secret")
# Stopping the hub stops the proxy, the services and every learner's server with it, so
# `make hub-stop` leaves nothing running.
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# --- Who may log in -----------------------------------------------------------------------
# PAM checks the Linux password of a real account: the local spawner can only start a server
# as a user that exists on the machine, so learners are created as Linux accounts from the
# class list (`workshop.py add-learners`) rather than signing themselves up.
c.JupyterHub.authenticator_class = "pam"
# Only the course's two Linux groups may log in; the machine's other accounts (root, system
# users, the grading users) cannot, even with a valid password.
c.PAMAuthenticator.allowed_groups = {workshop.staff_group, workshop.learner_group}
# Accounts are never created on login: a typo in a user name must not make a new account.
c.LocalAuthenticator.create_system_users = False
# Instructors get exactly the scopes they need (roles below), not full admin rights.
c.Authenticator.admin_users = set()
c.JupyterHub.template_vars = {
    "announcement_login": "Log in with the user name and password your instructor gave you.",
}

# --- Each user's server -------------------------------------------------------------------
# Learners' servers run from the workshop environment under the prefix (/opt/interview-lab):
# a clone of the course is often under /root, which no learner can read, and a virtual
# environment made from a Python under /root would be unusable for them too.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(workshop.singleuser)]
c.Spawner.default_url = "/lab/tree/notebooks/00-contents.ipynb"
c.Spawner.environment = {
    "PATH": os.pathsep.join([str(workshop.venv / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
    # nbgrader's exchange for the settings file in the environment (etc/jupyter).
    "INTERVIEW_LAB_EXCHANGE": str(workshop.exchange),
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}
# A cold start imports JupyterLab and nbgrader; on a busy workshop machine, give it time.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# The server's own token may read the user's hub groups: nbgrader's JupyterHubAuthPlugin asks
# the hub which courses the user belongs to. It gets only the scopes the user holds anyway.
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    "read:users:name!user",
    "read:users:groups!user",
    "list:services",
    "read:services",
]


def is_staff(username: str) -> bool:
    """Staff are the members of the course's staff Linux group (checked at each start)."""
    return username in group_members(workshop.staff_group)


def per_user_settings(spawner) -> None:
    """A learner opens their own learner's edition; staff open their home with the course."""
    name = spawner.user.name
    home = pwd.getpwnam(name).pw_dir
    env = dict(spawner.environment)
    if is_staff(name):
        # Staff share the course folder through their group (nbgrader's groupshared): their
        # files must be group-writable, and their servers get the instructor's extensions.
        spawner.notebook_dir = home
        spawner.default_url = "/lab"
        env.update(
            {"INTERVIEW_LAB_UMASK": "0002", "JUPYTER_CONFIG_PATH": str(workshop.staff_config)}
        )
    else:
        # First start: singleuser.sh copies the learner's edition into the learner's home (as
        # the learner), so each learner works on their own copy and keeps it across restarts.
        folder = os.path.join(home, workshop.learner_folder)
        spawner.notebook_dir = folder
        env.update(
            {
                "INTERVIEW_LAB_EDITION": str(workshop.edition),
                "INTERVIEW_LAB_DATA": os.path.join(folder, "data"),
                "INTERVIEW_LAB_UMASK": "0077",
            }
        )
    spawner.environment = env


c.Spawner.pre_spawn_hook = per_user_settings

# --- nbgrader's groups --------------------------------------------------------------------
# nbgrader finds a user's courses from hub groups named formgrade-<course> (instructors and
# the grader account) and nbgrader-<course> (learners; instructors too, so they see the
# assignment list as learners do). Members come from the course's Linux groups at start-up;
# `workshop.py add-learners` adds later learners through the REST API without a restart.
instructors = list(workshop.instructors)
c.JupyterHub.load_groups = {
    STAFF_GROUP: {"users": sorted({*instructors, workshop.grader})},
    LEARNER_GROUP: {"users": sorted({*group_members(workshop.learner_group), *instructors})},
    "instructors": {"users": instructors},
}

# --- Roles and scopes ---------------------------------------------------------------------
c.JupyterHub.load_roles = [
    # The instructors manage learners and their servers from the admin page (start, stop,
    # add users) without being full administrators.
    {
        "name": "instructor",
        "groups": ["instructors"],
        "scopes": [
            "admin-ui",
            "list:users",
            "admin:users",
            "admin:servers",
            "read:groups",
            "list:groups",
        ],
    },
    # Staff reach the course's formgrader service, and can discover it (nbgrader's course list).
    {
        "name": f"formgrade-{COURSE}",
        "groups": [STAFF_GROUP],
        "scopes": [
            f"access:services!service={COURSE}",
            "list:services",
            f"read:services!service={COURSE}",
        ],
    },
    # Learners may see that the course exists; nothing else beyond their own server.
    {
        "name": f"nbgrader-{COURSE}",
        "groups": [LEARNER_GROUP],
        "scopes": ["list:services", f"read:services!service={COURSE}"],
    },
    # The formgrader service reads users' groups and enrols students in nbgrader-<course> when
    # the instructor adds them to the gradebook (nbgrader's JupyterHubAuthPlugin).
    {
        "name": f"formgrader-{COURSE}",
        "services": [COURSE],
        "scopes": [
            "list:users",
            "read:users:name",
            "read:users:groups",
            "list:groups",
            "read:groups",
            f"groups!group={LEARNER_GROUP}",
        ],
    },
    # Root's scripts (adding learners, the tests) act through this service's token, which is
    # kept in the root-only state folder.
    {
        "name": "workshop-admin",
        "services": ["workshop-admin"],
        "scopes": [
            "admin:users",
            "admin:servers",
            "admin:groups",
            "tokens",
            "list:services",
            "read:services",
        ],
    },
    # The idle culler sees activity and stops idle servers: nothing more.
    {
        "name": "idle-culler",
        "services": ["idle-culler"],
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    },
]

# --- Services -----------------------------------------------------------------------------
_token_file = workshop.admin_token_file
c.JupyterHub.services = [
    # The formgrader: a JupyterLab run by the hub as the grader account, in the course folder
    # (so it reads the course's nbgrader_config.py). The service's name is the course id, as
    # nbgrader requires; staff reach it at /services/<course>/ through the formgrade role.
    {
        "name": COURSE,
        "url": f"http://127.0.0.1:{workshop.formgrader_port}",
        "command": [str(workshop.singleuser)],
        "user": workshop.grader,
        "cwd": str(workshop.course_dir),
        "oauth_no_confirm": True,
        "environment": {
            "PATH": c.Spawner.environment["PATH"],
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            "JUPYTER_CONFIG_PATH": str(workshop.staff_config),
            "INTERVIEW_LAB_EXCHANGE": str(workshop.exchange),
            "INTERVIEW_LAB_UMASK": "0002",
        },
    },
    # A token-only service for root's scripts (workshop.py creates the token before the start).
    {
        "name": "workshop-admin",
        **({"api_token": _token_file.read_text().strip()} if _token_file.exists() else {}),
    },
    # Stop servers idle for an hour: a class of 30 leaves many tabs open, and each server
    # holds memory (see deploy/z2jh/values.yaml for the measured figures).
    {
        "name": "idle-culler",
        "command": [
            str(workshop.venv / "bin" / "python"),
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={workshop.idle_timeout_s}",
        ],
    },
]
