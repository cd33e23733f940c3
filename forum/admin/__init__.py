"""The organizer area (khu vực Ban Tổ chức): the pages where organizers and admins run
the forums from a browser. It composes the services of the domains below it; it owns no
tables.

One blueprint, ``admin``, under ``/organizer`` (``forum/admin/area.py``). Each part of the area (people, forums,
activation codes, audit log, ...) lives in its own subpackage ``forum/admin/<part>/views.py``
that adds routes to this blueprint and, with ``add_section``, a tile on the area's home
page and an entry in its menu; ``create_app`` imports every part before registering the
blueprint.
"""
