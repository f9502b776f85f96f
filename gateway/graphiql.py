"""GraphiQL for people: the contract's operations preloaded, in demo mode a token prefilled.

The page loads GraphiQL from the local copy ``make install`` fetched (or the folder
``FINGRAPH_GRAPHIQL_ASSETS`` names), served under ``/graphiql/static/``; from jsDelivr at
the same pinned versions only when there is none (``gateway.graphiql_assets``).

A token in a page is a credential handed to whoever loads it, so one is rendered only
in demo mode and only for a client on this machine: the connection comes from a
loopback address and no proxy header says it was forwarded from elsewhere.
"""

from __future__ import annotations

import html
import ipaddress
import json
from datetime import timedelta
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse

from gateway.auth import issue_token
from gateway.graphiql_assets import CDN_URLS, FILES
from services.kernel.ids import decode_id
from services.kernel.principal import Principal, Role

STATIC_PREFIX = "/graphiql/static"
EXAMPLES = Path(__file__).parent / "graphiql_examples.graphql"
#: Headers a proxy adds: their presence means the peer address is the proxy's, not the client's.
_FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip", "x-client-ip")


def asset_urls(local: bool) -> dict[str, str]:
    if not local:
        return dict(CDN_URLS)
    return {name: f"{STATIC_PREFIX}/{path}" for name, path in FILES.items()}


def is_loopback_client(request: Request) -> bool:
    """True if the request comes from this machine, directly (not through a proxy)."""
    if request.client is None or any(name in request.headers for name in _FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:  # a unix socket path or a test client's made-up name
        return False


def example_tabs(demo_merchant: str | None) -> list[dict[str, str]]:
    """One tab per operation in graphiql_examples.graphql (blocks separated by blank-line '# ---')."""
    tabs = []
    for block in EXAMPLES.read_text().split("# ---\n"):
        query = block.strip()
        if not query:
            continue
        tab = {"query": query + "\n"}
        if "$id: ID!" in query and demo_merchant:
            tab["variables"] = json.dumps({"id": demo_merchant})
        tabs.append(tab)
    return tabs


def render(request: Request) -> HTMLResponse:
    state = request.app.state
    settings = state.settings
    headers: dict[str, str] = {}
    decoded = decode_id(settings.demo_consumer or "", "Consumer") if settings.demo else None
    if decoded is not None and is_loopback_client(request):
        principal = Principal(Role.CONSUMER, party_id=decoded[1])
        token = issue_token(principal, secret=state.jwt_secret, now=state.clock.now(), ttl=timedelta(days=1))
        headers["Authorization"] = f"Bearer {token}"
    config = {
        "tabs": example_tabs(settings.demo_merchant),
        "headers": json.dumps(headers, indent=2) if headers else "",
    }
    urls = asset_urls(state.graphiql_local_assets)
    page = _PAGE.format(
        css=html.escape(urls["graphiql_css"]), react=html.escape(urls["react"]),
        react_dom=html.escape(urls["react_dom"]), graphiql=html.escape(urls["graphiql_js"]),
        config=json.dumps(config).replace("</", "<\\/"),
    )
    return HTMLResponse(page)


_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>fingraph GraphiQL</title>
  <link rel="stylesheet" href="{css}">
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="{react}"></script>
  <script src="{react_dom}"></script>
  <script src="{graphiql}"></script>
  <script>
    const config = {config};
    const url = new URL('/graphql', window.location.href);
    const wsUrl = url.href.replace(/^http/, 'ws');
    const fetcher = GraphiQL.createFetcher({{ url: url.href, subscriptionUrl: wsUrl }});
    const root = ReactDOM.createRoot(document.getElementById('graphiql'));
    root.render(React.createElement(GraphiQL, {{
      fetcher,
      defaultTabs: config.tabs,
      defaultHeaders: config.headers,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: config.headers ? 'headers' : false,
    }}));
  </script>
</body>
</html>
"""
