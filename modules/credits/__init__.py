"""Crediting of training periods (tiết) toward each official's annual requirement.

- ``engine``: the ledger (``credits_ledger``) and why statements did not count
  (``credits_not_counted``), kept up to date after every statement event (``hocvu_event``)
  and rebuilt from all statements with set-based SQL (``flask --app wsgi credits rebuild
  [--year Y]``); both give the same answer.
- ``requirements``: HR's rules per year (``credits_rules``, ``credits_rule_caps``), the most
  specific one wins, pro-rata for people who start in the year, caps on what counts.
- ``hours``: ``hours_for(session, person, year)``, what the page and the API show.
- ``api``: ``GET /api/v1/people/<id>/hours?year=Y`` and ``/api/v1/credits/rules``.
- ``controllers``: the pages ``/hours`` ("Giờ học của tôi"), ``/hours/<person id>`` and
  ``/credits/rules``.

Statements credit when HocVu's services write them with ``account_agent(SITE_URL, staff
code)`` as the actor and, ideally, the activity version in the context extension
``{SITE_URL}/xapi/extensions/version``; without it the version current when the module
first sees the statement is pinned. ``DEFAULT_REQUIRED_PERIODS`` in the app config sets
the requirement when no rule applies (40 otherwise).
"""
