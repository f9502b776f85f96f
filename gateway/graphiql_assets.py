"""GraphiQL's browser files, kept beside the code so that the page works without internet.

``make install`` (or ``fingraph graphiql-assets``) fetches the pinned npm packages'
tarballs from the npm registry, checks each against the sha512 integrity npm's lockfile
records for it, and keeps only the four files the page loads, in ``gateway/graphiql_static``
laid out like a ``node_modules`` folder (so ``FINGRAPH_GRAPHIQL_ASSETS`` may still point
at one). The page uses that copy when it is complete and the CDN only when it is not (a
wheel installed where nobody fetched them). No npm is needed for it: three tarballs.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

#: Where ``make install`` puts the files (ignored by git, shipped in a wheel built after it).
STATIC_DIR = Path(__file__).parent / "graphiql_static"
REGISTRY = os.environ.get("npm_config_registry") or "https://registry.npmjs.org"


@dataclass(frozen=True, slots=True)
class Package:
    name: str
    version: str
    #: npm's Subresource Integrity of the tarball (as in tests/node/package-lock.json)
    integrity: str
    #: files of the tarball the page loads, relative to the package folder
    files: tuple[str, ...]


PACKAGES = (
    Package("react", "18.3.1",
            "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
            ("umd/react.production.min.js",)),
    Package("react-dom", "18.3.1",
            "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
            ("umd/react-dom.production.min.js",)),
    Package("graphiql", "3.8.3",
            "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
            ("graphiql.min.js", "graphiql.min.css")),
)

#: The page's four files, by role, as paths inside a node_modules-like folder.
FILES = {
    "react": "react/umd/react.production.min.js",
    "react_dom": "react-dom/umd/react-dom.production.min.js",
    "graphiql_js": "graphiql/graphiql.min.js",
    "graphiql_css": "graphiql/graphiql.min.css",
}
#: The same files on jsDelivr, at the pinned versions (the fallback).
CDN_URLS = {
    role: f"https://cdn.jsdelivr.net/npm/{pkg.name}@{pkg.version}/{path.split('/', 1)[1]}"
    for role, path in FILES.items()
    for pkg in PACKAGES if path.startswith(pkg.name + "/")
}


class AssetsError(Exception):
    """The registry could not be reached, or a tarball was not the pinned one."""


def complete(folder: Path | None) -> bool:
    """True if ``folder`` holds every file the page loads."""
    return folder is not None and all((folder / path).is_file() for path in FILES.values())


def local_folder(configured: Path | None) -> Path | None:
    """The folder to serve: the configured one, else the fetched copy if complete, else None (CDN)."""
    if configured is not None:
        return configured
    return STATIC_DIR if complete(STATIC_DIR) else None


def fetch(dest: Path = STATIC_DIR, *, registry: str = REGISTRY, timeout: float = 20) -> list[Path]:
    """Download, check and unpack the pinned files into ``dest``; returns the files written."""
    written: list[Path] = []
    for package in PACKAGES:
        url = f"{registry.rstrip('/')}/{package.name}/-/{package.name}-{package.version}.tgz"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                tarball = response.read()
        except OSError as exc:
            raise AssetsError(f"cannot download {url}: {exc}") from exc
        algorithm, _, expected = package.integrity.partition("-")
        actual = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
        if actual != expected:
            raise AssetsError(f"{url} is not the pinned {package.name}@{package.version} (integrity mismatch)")
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            for name in package.files:
                member = archive.extractfile(f"package/{name}")
                if member is None:
                    raise AssetsError(f"{package.name}@{package.version} has no {name}")
                target = dest / package.name / name
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(target.name + ".part")
                partial.write_bytes(member.read())
                partial.replace(target)  # never a half-written file the page would load
                written.append(target)
    return written
