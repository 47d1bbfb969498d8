"""deploy/nginx/kepuri.conf: the upload limits leave oversized photos to Django's own message,
and nginx's own errors (403, 404, 413, 502, 503, 504) are answered with the Chinese and English
pages in deploy/nginx/errors/ instead of nginx's English ones, over HTTP/1.1 and HTTP/2; a
request for an unknown host name is dropped; static and media files are sent with nosniff.

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
NGINX_ERRORS = (403, 404, 413, 502, 503, 504)
MB = 1024 * 1024
# What each page must say: the problem, in Chinese first, then in English.
PAGE_TEXT = {
    403: ("禁止访问", "Forbidden"),
    404: ("页面不存在", "Page not found"),
    413: ("上传的文件太大", "File too large"),
    502: ("网站暂时无法访问", "temporarily unavailable"),
    503: ("网站暂时繁忙", "busy"),
    504: ("服务器响应超时", "took too long"),
}


HOST = "kepuri.example.cn"
DOCS = Path(settings.BASE_DIR) / "docs" / "deploy.md"


def server_blocks():
    """The text of each top-level `server { ... }` block of the site file."""
    text, blocks = SITE.read_text(), []
    for match in re.finditer(r"^server \{", text, re.MULTILINE):
        depth = 0
        for end in range(match.start(), len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if text[end] == "}" and depth == 0:
                blocks.append(text[match.start() : end + 1])
                break
    return blocks


def https_server():
    """The text of the site's 443 server block."""
    [block] = [
        block
        for block in server_blocks()
        if f"server_name {HOST};" in block and "listen 443 ssl" in block
    ]
    return block


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


def test_the_cache_folder_is_created_by_the_guide():
    """nginx creates only the last folder of a proxy_cache_path, and Debian 12's nginx package
    has no /var/cache/nginx: `nginx -t` failed with mkdir() "/var/cache/nginx/kepuri" failed
    unless section 8 of the guide creates the parent first."""
    paths = re.findall(r"^proxy_cache_path (\S+)", SITE.read_text(), re.MULTILINE)
    assert paths
    section = DOCS.read_text().split("## 8. ")[1].split("\n## ")[0]
    for path in paths:
        parent = str(Path(path).parent)
        assert re.search(rf"^install -d .*{re.escape(parent)}\s*$", section, re.MULTILINE), parent


def test_unknown_host_names_are_dropped():
    [default] = [block for block in server_blocks() if "default_server" in block]
    listens = re.findall(r"^\s*listen (.*);", default, re.MULTILINE)
    assert {"80 default_server", "443 ssl http2 default_server"} <= set(listens)
    assert re.search(r"^\s*ssl_reject_handshake on;", default, re.MULTILINE)
    assert re.search(r"^\s*return 444;", default, re.MULTILINE)
    # No other block claims to be the default.
    assert sum("default_server" in block for block in server_blocks()) == 1


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
        # The parent exists, as section 8 of the guide makes it (test above).
        ("/var/cache/nginx/kepuri", f"{work}/cache"),
        (INSTALLED_ERRORS, f"{ERRORS}/"),
        ("/etc/letsencrypt/live/kepuri.example.cn/", f"{tmp}/"),
        ("root /srv/kepuri;", f"root {work}/srv;"),
        ("127.0.0.1:8001", f"127.0.0.1:{free_port()}"),
        ("127.0.0.1:8002", f"127.0.0.1:{free_port()}"),
        ("listen 443 ", f"listen 127.0.0.1:{https_port} "),
        ("listen 80", f"listen 127.0.0.1:{http_port}"),
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
    types {{ text/html html; text/css css; image/jpeg jpg; }}
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


class Nginx:
    def __init__(self, https, http, root):
        self.https = https
        self.http = http
        self.root = root


@pytest.fixture
def nginx(tmp_path):
    """nginx serving the site file on free ports; checked with `nginx -t` first. Static and
    media files are read from `root` (/srv/kepuri as deployed)."""
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
        root = Path(work) / "srv"
        for folder in ("static", "media/images"):
            (root / folder).mkdir(parents=True)
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
            yield Nginx(https_port, http_port, root)
        finally:
            server.terminate()
            server.wait(timeout=30)


class _SniConnection(http.client.HTTPSConnection):
    """To 127.0.0.1, naming the site in the TLS handshake (SNI), as a browser does: the
    default server refuses a handshake for any other name."""

    def __init__(self, *args, server_name=HOST, **kwargs):
        super().__init__(*args, **kwargs)
        self.server_name = server_name

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.server_name)


def request(port, method, path, body=b"", length=None, source="127.0.0.1", server_name=HOST):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = _SniConnection(
        "127.0.0.1",
        port,
        timeout=30,
        context=context,
        source_address=(source, 0),
        server_name=server_name,
    )
    try:
        connection.putrequest(method, path, skip_host=True)
        connection.putheader("Host", HOST)
        if method == "POST":
            connection.putheader("Content-Type", "application/octet-stream")
            connection.putheader("Content-Length", str(len(body) if length is None else length))
        connection.endheaders()
        if body:
            connection.send(body)
        response = connection.getresponse()
        return response, response.read().decode(errors="replace")
    finally:
        connection.close()


def test_nginx_answers_its_errors_with_the_pages(nginx):
    # Refused on the declared length alone: nginx answers before the body is sent.
    response, page = request(nginx.https, "POST", "/admin/images/multiple/add/", length=40 * MB)
    assert response.status == 413
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert "上传的文件太大" in page
    assert response.getheader("Cache-Control") == "no-store"

    # A 20 MB poster passes nginx (12 MB did not) on to Django, here to instances that are
    # both down: the 502 page.
    response, page = request(
        nginx.https, "POST", "/admin/images/multiple/add/", body=b"x" * 20 * MB
    )
    assert response.status == 502
    assert "网站暂时无法访问" in page
    assert "temporarily unavailable" in page
    response, page = request(nginx.https, "GET", "/")
    assert response.status == 502
    assert "网站暂时无法访问" in page

    # The pages themselves are not addressable.
    response, page = request(nginx.https, "GET", "/_errors/502.html")
    assert response.status == 404


def curl_http2(port, path, *options):
    """curl over HTTP/2 (TLS with ALPN, as browsers use it): (version, status, headers, page)."""
    if not shutil.which("curl"):
        if os.environ.get("CI"):
            pytest.fail("CI needs curl for the HTTP/2 check.")
        pytest.skip("curl not installed")
    with tempfile.TemporaryDirectory() as folder:
        head, page = Path(folder) / "head", Path(folder) / "page"
        result = subprocess.run(
            ["curl", "-sSk", "--http2", "--resolve", f"{HOST}:{port}:127.0.0.1"]
            + ["-D", str(head), "-o", str(page), "-w", "%{http_version} %{http_code}"]
            + [*options, f"https://{HOST}:{port}{path}"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        version, status = result.stdout.split()
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (
                line.partition(":") for line in head.read_text().splitlines()[1:] if line
            )
        }
        return version, int(status), headers, page.read_bytes().decode(errors="replace")


def test_nginx_error_pages_reach_http2_clients(nginx, tmp_path):
    """R-ops: over HTTP/2 nginx checked the body size again in /_errors/ and answered its own
    English 413 page instead of the Chinese one."""
    body = tmp_path / "upload.bin"
    with body.open("wb") as out:
        out.truncate(40 * MB)
    version, status, headers, page = curl_http2(
        nginx.https, "/admin/images/multiple/add/", "--data-binary", f"@{body}"
    )
    assert (version, status) == ("2", 413)
    assert "上传的文件太大" in page, page
    assert headers["cache-control"] == "no-store"
    # 40 MB passes the nomination form's limit to the (stopped) instances: the 502 page, not
    # a second 413 from the server's 32 MB in /_errors/.
    version, status, headers, page = curl_http2(
        nginx.https, "/admin/nominations/12/", "--data-binary", f"@{body}"
    )
    assert (version, status) == ("2", 502)
    assert "网站暂时无法访问" in page, page
    version, status, headers, page = curl_http2(nginx.https, "/media/images/missing.jpg")
    assert (version, status) == ("2", 404)
    assert "页面不存在" in page


def test_nginx_answers_missing_and_refused_files_with_the_pages(nginx):
    response, page = request(nginx.https, "GET", "/media/images/missing.jpg")
    assert response.status == 404
    assert "页面不存在" in page
    assert "Page not found" in page
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    response, page = request(nginx.https, "GET", "/static/missing.css")
    assert response.status == 404
    assert "页面不存在" in page
    response, page = request(nginx.https, "GET", "/media/")
    assert response.status == 403
    assert "禁止访问" in page
    assert "Forbidden" in page
    # /healthz from an address that is not allowed (127.0.0.2 is this machine, not 127.0.0.1).
    response, page = request(nginx.https, "GET", "/healthz", source="127.0.0.2")
    assert response.status == 403
    assert "禁止访问" in page
    response, page = request(nginx.https, "GET", "/_errors/403.html")
    assert response.status == 404


def test_static_files_are_sent_with_nosniff(nginx):
    static = nginx.root / "static"
    (static / "site.css").write_text("body{}")
    (static / "site.0123456789ab.css").write_text("body{}")
    (nginx.root / "media" / "images" / "poster.jpg").write_bytes(b"\xff\xd8\xff")
    response, _ = request(nginx.https, "GET", "/static/site.css")
    assert response.status == 200
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    response, _ = request(nginx.https, "GET", "/static/site.0123456789ab.css")
    assert response.status == 200
    # The nested location's own add_header replaces what it would inherit: both are there.
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    response, _ = request(nginx.https, "GET", "/media/images/poster.jpg")
    assert response.status == 200
    assert response.getheader("X-Content-Type-Options") == "nosniff"


def test_unknown_host_names_get_no_answer(nginx):
    # Plain HTTP: the site's name is redirected, any other name is closed without a word.
    connection = http.client.HTTPConnection("127.0.0.1", nginx.http, timeout=10)
    connection.request("GET", "/", headers={"Host": HOST})
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/"
    connection.close()
    for host in ("127.0.0.1", "other.example.cn"):
        connection = http.client.HTTPConnection("127.0.0.1", nginx.http, timeout=10)
        connection.request("GET", "/", headers={"Host": host})
        with pytest.raises(http.client.RemoteDisconnected):
            connection.getresponse()
        connection.close()
    # HTTPS: the handshake itself is refused without the site's name, so no certificate is
    # needed for other names and the site's is not shown to scanners.
    # (Python sends no name for an address: the handshake of `curl -k https://127.0.0.1/`.)
    for name in ("other.example.cn", "127.0.0.1"):
        with pytest.raises(ssl.SSLError):
            request(nginx.https, "GET", "/", server_name=name)


def test_the_access_log_keeps_no_reset_token_and_no_admin_search(nginx, tmp_path):
    """PIPL audit: nginx logged the whole request line. A live password-reset link in the
    log let whoever read it set the account's password; admin searches logged the phone
    numbers and names searched for. The application's own line is scrubbed the same way
    (tests/accounts/test_access_log_privacy.py)."""
    token = "d3b4k9-0a1b2c3d4e5f6a7b8c9d"
    request(nginx.https, "GET", f"/admin/password_reset/confirm/NA/{token}/")
    request(nginx.https, "GET", "/admin/password_reset/confirm/NA/set-password/")
    request(nginx.https, "GET", "/admin/users/?q=13912345678&p=2")
    request(nginx.https, "GET", "/activities/?q=13912345678")
    log = tmp_path / "kepuri.access.log"
    deadline = time.monotonic() + 5
    while log.read_text().count("\n") < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = log.read_text()
    assert token not in lines
    assert '"GET /admin/password_reset/confirm/NA/***/ HTTP/1.1"' in lines
    assert '"GET /admin/password_reset/confirm/NA/set-password/ HTTP/1.1"' in lines
    assert '"GET /admin/users/?*** HTTP/1.1"' in lines
    assert "13912345678" in lines  # the public search is nobody's personal data
    assert lines.count("13912345678") == 1
