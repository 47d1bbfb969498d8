"""deploy/nginx/kepuri.conf: the upload limits leave oversized photos to Django's own message,
and nginx's own errors (413, 502, 503, 504) are answered with the Chinese and English pages
in deploy/nginx/errors/ instead of nginx's English ones.

Not marked `ops`: the parsing runs everywhere, and the live check starts nginx from its
package on a free port with the site file as deployed (paths moved into a temporary
folder), skipping where nginx or openssl is missing."""

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings

from activities.constants import POSTER_MAX_BYTES
from activities.nomination_models import MAX_PHOTOS, MAX_VIDEO_BYTES, MAX_VIDEOS

NGINX_DIR = Path(settings.BASE_DIR) / "deploy" / "nginx"
SITE = NGINX_DIR / "kepuri.conf"
ERRORS = NGINX_DIR / "errors"
INSTALLED_ERRORS = "/srv/kepuri/app/deploy/nginx/errors/"
NGINX_ERRORS = (413, 502, 503, 504)
MB = 1024 * 1024
# What each page must say: the problem, in Chinese first, then in English.
PAGE_TEXT = {
    413: ("上传的文件太大", "File too large"),
    502: ("网站暂时无法访问", "temporarily unavailable"),
    503: ("网站暂时繁忙", "busy"),
    504: ("服务器响应超时", "took too long"),
}


def https_server():
    """The text of the 443 server block (up to the end of the file: it is the last one)."""
    text = SITE.read_text()
    start = text.index("listen 443 ssl")
    return text[text.rindex("server {", 0, start) :]


def size(value):
    number, unit = re.fullmatch(r"(\d+)([km]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": MB}[unit]


def server_level(block):
    """The block's directives outside its nested `location`s."""
    depth, kept = 0, []
    for line in block.splitlines()[1:]:
        if depth == 0:
            kept.append(line)
        depth += line.count("{") - line.count("}")
    return "\n".join(kept)


def test_the_upload_limit_leaves_oversized_posters_to_django():
    server = server_level(https_server())
    [limit] = re.findall(r"^\s*client_max_body_size (\w+);", server, re.MULTILINE)
    largest_form = max(
        POSTER_MAX_BYTES,
        settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE,
        settings.WAGTAILDOCS_MAX_UPLOAD_SIZE,
    )
    # A camera's 30 MB photo gets Django's message about the 10 MB limit; still a bound.
    assert 30 * MB <= size(limit) <= 64 * MB
    assert size(limit) >= largest_form + 10 * MB
    [videos] = re.findall(
        r'location ~ "\^/admin/nominations/\[0-9\]\+/\$" \{\s*client_max_body_size (\w+);',
        https_server(),
    )
    # Everything the form takes in one save: the videos, the photos and the participant
    # photo at their limits.
    assert size(videos) > MAX_VIDEOS * MAX_VIDEO_BYTES + (MAX_PHOTOS + 1) * 10 * MB


def test_nginx_errors_have_pages_of_their_own():
    server = https_server()
    pages = dict(re.findall(r"^\s*error_page (\d+) (\S+);", server, re.MULTILINE))
    assert sorted(int(code) for code in pages) == list(NGINX_ERRORS)
    # Set on the server, so every location without error pages of its own has them.
    assert len(re.findall(r"^\s*error_page ", server_level(server), re.MULTILINE)) == len(pages)
    location = re.search(r"location \^~ (/\S+/) \{(.*?)\}", server, re.DOTALL)
    prefix, body = location.groups()
    assert re.search(r"^\s*internal;", body, re.MULTILINE)
    assert re.search(rf"^\s*alias {re.escape(INSTALLED_ERRORS)};", body, re.MULTILINE)
    for code, uri in pages.items():
        assert uri == f"{prefix}{code}.html"
        page = (ERRORS / f"{code}.html").read_text()
        assert '<meta charset="utf-8">' in page
        assert '<html lang="zh-Hans">' in page
        chinese, english = PAGE_TEXT[int(code)]
        assert chinese in page
        assert english in page
        assert page.index(chinese) < page.index(english)
        # Nothing to fetch from a site that is down.
        assert not re.search(r"<(link|script|img)\b", page)


# --- nginx itself --------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def deployable(tmp, work, https_port, http_port):
    """The site file as installed, with what lives outside this checkout moved into `tmp`:
    snippets, logs, certificate, and the instances on ports nothing listens on. `work`: the
    folders nginx's workers write to."""
    replacements = [
        ("/etc/nginx/snippets/", f"{NGINX_DIR}/"),
        ("/var/log/nginx/", f"{tmp}/"),
        ("/var/cache/nginx/kepuri", f"{work}/cache"),
        (INSTALLED_ERRORS, f"{ERRORS}/"),
        ("/etc/letsencrypt/live/kepuri.example.cn/", f"{tmp}/"),
        ("127.0.0.1:8001", f"127.0.0.1:{free_port()}"),
        ("127.0.0.1:8002", f"127.0.0.1:{free_port()}"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
    ]
    text = SITE.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    # No IPv6 in every container.
    text = re.sub(r"^\s*listen \[::\]:.*$", "", text, flags=re.MULTILINE)
    (tmp / "kepuri.conf").write_text(text)
    (tmp / "nginx.conf").write_text(
        f"""daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    types {{ text/html html; }}
    default_type application/octet-stream;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {tmp}/kepuri.conf;
}}
"""
    )
    return tmp / "nginx.conf"


@pytest.fixture
def nginx(tmp_path):
    """nginx serving the site file on a free port; checked with `nginx -t` first."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists() or not shutil.which("openssl"):
        if os.environ.get("CI"):
            pytest.fail("CI needs nginx and openssl for the live check (make nginx).")
        pytest.skip("nginx or openssl not installed: run `make nginx`")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=kepuri.example.cn", "-keyout", str(tmp_path / "privkey.pem")]
        + ["-out", str(tmp_path / "fullchain.pem")],
        check=True,
        capture_output=True,
    )
    https_port, http_port = free_port(), free_port()
    error_log = tmp_path / "error.log"
    # Started by root, the workers run as nobody: they must reach the folders they write
    # (pytest's tmp_path is private to root).
    with tempfile.TemporaryDirectory(prefix="kepuri-nginx-") as work:
        Path(work).chmod(0o755)
        conf = deployable(tmp_path, work, https_port, http_port)
        command = [binary, "-c", str(conf), "-e", str(error_log)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr
        server = subprocess.Popen(command)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                    break
                except OSError:
                    assert server.poll() is None, error_log.read_text()
                    assert time.monotonic() < deadline, "nginx did not start"
                    time.sleep(0.1)
            yield https_port
        finally:
            server.terminate()
            server.wait(timeout=30)


def request(port, method, path, body=b"", length=None):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)
    try:
        connection.putrequest(method, path, skip_host=True)
        connection.putheader("Host", "kepuri.example.cn")
        if method == "POST":
            connection.putheader("Content-Type", "application/octet-stream")
            connection.putheader("Content-Length", str(len(body) if length is None else length))
        connection.endheaders()
        if body:
            connection.send(body)
        response = connection.getresponse()
        return response, response.read().decode()
    finally:
        connection.close()


def test_nginx_answers_its_errors_with_the_pages(nginx):
    # Refused on the declared length alone: nginx answers before the body is sent.
    response, page = request(nginx, "POST", "/admin/images/multiple/add/", length=40 * MB)
    assert response.status == 413
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert "上传的文件太大" in page
    assert response.getheader("Cache-Control") == "no-store"

    # A 20 MB poster passes nginx (12 MB did not) on to Django, here to instances that are
    # both down: the 502 page.
    response, page = request(nginx, "POST", "/admin/images/multiple/add/", body=b"x" * 20 * MB)
    assert response.status == 502
    assert "网站暂时无法访问" in page
    assert "temporarily unavailable" in page
    response, page = request(nginx, "GET", "/")
    assert response.status == 502
    assert "网站暂时无法访问" in page

    # The pages themselves are not addressable.
    response, page = request(nginx, "GET", "/_errors/502.html")
    assert response.status == 404
