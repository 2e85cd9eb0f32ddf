"""gunicorn picks this file up when started from the repository root; the settings live
in the package (service/gunicorn_conf.py) so that an installed wheel has them too."""

from service.gunicorn_conf import *  # noqa: F403
