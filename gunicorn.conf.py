"""gunicorn settings Doorstep relies on (gunicorn reads ./gunicorn.conf.py from where it starts).

Request-size limits: gunicorn refuses an over-long request line or header itself,
with a plain-text/HTML 400 the app never sees. Its limits here are set well above
the app's own (``dispatch.platform.hardening``: ``MAX_REQUEST_LINE`` and
``MAX_HEADER_FIELD``), so a request over the app's limit but under gunicorn's
gets Doorstep's JSON (on /api/) or page 414 / 431; only a request larger
still (over 8190 bytes in the request line, 16380 in one header) meets gunicorn's.
"""
limit_request_line = 8190  # gunicorn's maximum; the app answers 414 above 4096
limit_request_field_size = 16380  # the app answers 431 above 8190 for one header line
limit_request_fields = 100
