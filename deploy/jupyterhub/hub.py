"""The workshop's hub: JupyterHub itself, with more patience for the formgrader service.

JupyterHub gives a managed service about ten seconds to answer before it gives up and exits.
The formgrader is a whole JupyterLab with nbgrader, which on a busy workshop machine (or a
two-core CI runner) can take longer than that to import, and a hub restart in the middle of a
class must not fail because of it. This subclass waits up to ``service_start_timeout`` seconds
for managed services, and still stops at once when the service's process exits. Everything
else is JupyterHub unchanged; run as ``python hub.py -f jupyterhub_config.py``.
"""

import time

from jupyterhub.app import JupyterHub
from jupyterhub.objects import Server
from jupyterhub.utils import AnyTimeoutError
from traitlets import Integer


class WorkshopHub(JupyterHub):
    service_start_timeout = Integer(
        120, config=True, help="Seconds a managed service (the formgrader) may take to answer."
    )

    async def start_service(self, service_name, service, ssl_context=None):
        if not (service.managed and service.url):
            return await super().start_service(service_name, service, ssl_context)
        self.log.info("Starting managed service %s at %s", service_name, service.url)
        try:
            await service.start()
        except Exception:
            self.log.critical("Failed to start service %s", service_name, exc_info=True)
            return False
        server = Server.from_orm(service.orm.server)
        deadline = time.monotonic() + self.service_start_timeout
        while time.monotonic() < deadline:
            try:
                await server.wait_up(http=True, timeout=2, ssl_context=ssl_context)
            except AnyTimeoutError:
                status = await service.spawner.poll()
                if status is not None:
                    self.log.critical("Service %s exited with status %s", service_name, status)
                    return False
            else:
                return True
        self.log.critical(
            "Service %s did not answer within %s s", service_name, self.service_start_timeout
        )
        return False


if __name__ == "__main__":
    WorkshopHub.launch_instance()
