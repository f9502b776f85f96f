"""GraphiQL for people: the contract's operations preloaded, a demo token prefilled.

Assets come from jsDelivr at pinned versions, or from a local copy of the npm packages
(``FINGRAPH_GRAPHIQL_ASSETS=<node_modules dir>``) for machines without internet, served
under ``/graphiql/static/``.
"""

from __future__ import annotations

import html
import json
from datetime import timedelta
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse

from gateway.auth import issue_token
from services.kernel.ids import decode_id
from services.kernel.principal import Principal, Role

CDN = "https://cdn.jsdelivr.net/npm"
ASSETS = {
    "react": "react@18.3.1/umd/react.production.min.js",
    "react_dom": "react-dom@18.3.1/umd/react-dom.production.min.js",
    "graphiql_js": "graphiql@3.8.3/graphiql.min.js",
    "graphiql_css": "graphiql@3.8.3/graphiql.min.css",
}
EXAMPLES = Path(__file__).parent / "graphiql_examples.graphql"


def asset_urls(local: bool) -> dict[str, str]:
    if not local:
        return {name: f"{CDN}/{path}" for name, path in ASSETS.items()}
    # node_modules layout: drop the @version from the package folder.
    return {name: "/graphiql/static/" + path.replace("@18.3.1", "").replace("@3.8.3", "") for name, path in ASSETS.items()}


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
    decoded = decode_id(settings.demo_consumer or "", "Consumer")
    if decoded is not None:
        principal = Principal(Role.CONSUMER, party_id=decoded[1])
        token = issue_token(principal, secret=state.jwt_secret, now=state.clock.now(), ttl=timedelta(days=1))
        headers["Authorization"] = f"Bearer {token}"
    config = {
        "tabs": example_tabs(settings.demo_merchant),
        "headers": json.dumps(headers, indent=2) if headers else "",
    }
    urls = asset_urls(settings.graphiql_assets is not None)
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
