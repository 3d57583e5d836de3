"""A reference portal on mdreg: the seed's personal portal (个人端), the institutions' side (机构端)
and the health commissions' side (卫生健康委) as one FastAPI application with server-rendered pages
and a JSON API. ``python -m examples.portal`` serves the demo province; ``docs/portal.md``
describes the structure.
"""
