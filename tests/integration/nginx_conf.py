"""The nginx configuration test_http.py and the bench's http section
(bench/http_load.py) run: 2 workers, a static root, every path in one
directory, the access log one line per request
($connection $connection_requests $request_method $uri $status
$body_bytes_sent)."""

import grp
import os
import pwd

CONF = """
daemon off;
master_process on;
worker_processes 2;
%(user)s
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log warn;
events { worker_connections 1024; }
http {
    log_format counted '$connection $connection_requests $request_method $uri $status $body_bytes_sent';
    access_log %(dir)s/access.log counted;
    client_body_temp_path %(dir)s/body;
    proxy_temp_path %(dir)s/proxy;
    fastcgi_temp_path %(dir)s/fastcgi;
    uwsgi_temp_path %(dir)s/uwsgi;
    scgi_temp_path %(dir)s/scgi;
    types { text/plain txt; }
    sendfile %(sendfile)s;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:%(port)d;
        root %(dir)s/www;
    }
}
"""


def write_config(directory, port, sendfile):
    """Writes DIR/nginx.conf (serving DIR/www on 127.0.0.1:port, sendfile
    "on" or "off") and returns its path. As root, the workers run as the
    caller, not as nobody."""
    user = ""
    if os.geteuid() == 0:
        user = "user %s %s;" % (pwd.getpwuid(os.geteuid()).pw_name,
                                grp.getgrgid(os.getegid()).gr_name)
    path = os.path.join(directory, "nginx.conf")
    with open(path, "w") as f:
        f.write(CONF % {"dir": directory, "port": port, "user": user, "sendfile": sendfile})
    return path
