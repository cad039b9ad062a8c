"""The web application behind the HTTP part of the benchmark: `python -m bench.server PORT`.

It is Django's own threaded WSGI server (the one `runserver` uses), with two changes that
production servers (gunicorn, uWSGI) also make:

* TCP_NODELAY on each connection. wsgiref writes the headers and the body in two sends; on a
  keep-alive connection Nagle's algorithm then holds the body until the client's delayed ACK,
  adding about 40 ms to every response and measuring the kernel instead of the application.
* No access log: the request line holds the NIK or name being looked up.

It binds 127.0.0.1 only.
"""

import os
import socket
import sys


def main() -> None:
    port = int(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrt.settings")
    import django

    django.setup()
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Handler(WSGIRequestHandler):
        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format, *args):  # noqa: A002 - the name is the base class's
            pass

    httpd = ThreadedWSGIServer(("127.0.0.1", port), Handler)
    httpd.set_app(get_wsgi_application())
    httpd.serve_forever(poll_interval=0.5)


if __name__ == "__main__":
    main()
