"""The plant console: a Flask app over the ledger (pages for people, the JSON API).

Start at `web.app.create_app`; docs/console.md explains how the pieces fit and how to add a
page. Nothing imports this package except the command line (`dledger serve`, `dledger user`).
"""
