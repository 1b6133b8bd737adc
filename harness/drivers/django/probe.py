# Django's PostgreSQL backend (on psycopg 3 where Django 4.2+ finds it,
# else psycopg2) with the guide's settings.py (PTP_VARIANT=recipe), the
# same OPTIONS as the guide's generic string (generic: Django takes no URL),
# the hardened OPTIONS of ../common.py, or no TLS option (default); the
# guide's, quoted literally:
#   DATABASES = {
#   'default': {
#   'ENGINE': 'django.db.backends.postgresql',
#   'NAME': {databasename}, 'USER': {username}, 'PASSWORD': {password},
#   'HOST': {host}, 'PORT': {port},
#   'OPTIONS': {
#   'sslmode':'verify-full',
#   'sslrootcert':'system',
#   }}}
# application_name is added to OPTIONS so that an attacker proxy can tell
# this probe's startup from the others'.  The settings are configured once;
# each target of PTP_TARGETS (../common.py) gets the entry's PORT and
# application_name and a new DatabaseWrapper, so a new connection.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from common import *  # noqa: E402,F403

try:
    import django
    from django.conf import settings
except ImportError as e:
    unavailable("Django is not installed: %s" % e)

settings.configure(DATABASES={
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': DBNAME,
        'USER': USER,
        'PASSWORD': PASSWORD,
        'HOST': HOST,
        'OPTIONS': {
            'connect_timeout': TIMEOUT,
            **LIBPQ_TLS,
        },
    },
})
django.setup()
from django.db import connections  # noqa: E402

from django.db.backends.postgresql import base  # noqa: E402

if getattr(base, "is_psycopg3", False):
    import psycopg
    backend, lv = "psycopg " + psycopg.__version__, psycopg.pq.version()
else:
    import psycopg2
    backend, lv = "psycopg2 " + psycopg2.__version__.split()[0], psycopg2.extensions.libpq_version()
version = "Django %s (%s)" % (django.get_version(), backend)
libpq = "%d.%d" % (lv // 10000, lv % 10000)


def probe(port, appname):
    """Returns the server's pg_stat_ssl row of a session on port."""
    db = connections.settings['default']
    db['PORT'] = port
    db['OPTIONS']['application_name'] = appname
    connection = connections.create_connection('default')
    try:
        with connection.cursor() as cur:
            cur.execute(SERVER_TLS_QUERY)
            return cur.fetchone()
    finally:
        connection.close()


for_each_target(probe, version, libpq)
