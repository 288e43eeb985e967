"""The WSGI entry for servers other than `dledger serve`: `gunicorn web.wsgi:app`.

The instance comes from $DLEDGER_HOME; run `dledger serve` or `dledger user list` once first
so the database has the console's tables.
"""

from web.app import create_app

app = create_app()
