#!/usr/bin/env python3
"""Export one user's data with Velt's official Python SDK (velt-py), as NDJSON.

The Python side of benchmark (f) in BENCHMARKS.md: the same page loop as
`velt data export`, through the SDK's own GDPR call (`sdk.api.gdpr.getAllUserData`),
writing the same lines, one per item: {"feature":NAME,"item":ITEM}, with the features of
each page in the order comments, reactions, recordings, notifications.

    VELT_BASE_URL=http://127.0.0.1:PORT VELT_API_KEY=... VELT_AUTH_TOKEN=... \
        python export.py --organization-id org-0001 --user-id user-0001 --out user.ndjson

Credentials and the base URL come from the same variables the `velt` CLI reads. velt-py has
no setting for the base URL: its services read the class attribute
`BaseApiService.VELT_API_BASE_URL` (`https://api.velt.dev`) through `self`, so this script
sets that attribute on its own GdprService instance. The package itself is not changed.

Exit codes: 0 when the export is complete, 1 when Velt or the network failed, 2 for bad input.
"""

import argparse
import json
import os
import sys
from urllib.parse import urlsplit

from velt_py import VeltApiError, VeltSDK
from velt_py.models import GetAllUserDataRequest

FEATURES = ("comments", "reactions", "recordings", "notifications")
DEFAULT_BASE_URL = "https://api.velt.dev"
# Stops a server that never ends its pages; the Rust client has the same kind of bound.
MAX_PAGES = 1_000_000


class ExportError(Exception):
    """Velt's answer could not be exported; the message says why."""


def usage_error(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def check_base_url(url):
    """https anywhere, plain http only on this machine (the CLI's rule)."""
    parts = urlsplit(url)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme == "https" or (parts.scheme == "http" and local):
        return url.rstrip("/")
    usage_error(
        f"VELT_BASE_URL {url!r} is not an https URL (plain http is allowed only for "
        "localhost); set it to e.g. https://api.velt.dev"
    )


def pages(gdpr, organization_id, user_id):
    """Yields the `result` of every page, following nextPageToken until it is absent,
    null or "" (like the Rust client, which also refuses a token it has seen before)."""
    token = None
    seen = set()
    for page in range(1, MAX_PAGES + 1):
        answer = gdpr.getAllUserData(
            GetAllUserDataRequest(organizationId=organization_id, userId=user_id, pageToken=token)
        )
        result = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(result, dict) or not isinstance(result.get("data"), dict):
            # velt-py drops the HTTP status; the body is all there is to report.
            error = answer.get("error") if isinstance(answer, dict) else None
            raise ExportError(f"page {page}: Velt answered without result.data: {error or answer!r}")
        yield result
        token = result.get("nextPageToken")
        if token is None or token == "":
            return
        if not isinstance(token, str) or token in seen:
            raise ExportError(f"page {page}: nextPageToken {token!r} is not a new page token")
        seen.add(token)
    raise ExportError(f"more than {MAX_PAGES} pages; stopped")


def export(gdpr, organization_id, user_id, out):
    encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    prefixes = {f: f'{{"feature":"{f}","item":' for f in FEATURES}
    items = 0
    for result in pages(gdpr, organization_id, user_id):
        data = result["data"]
        for feature in FEATURES:
            listed = data.get(feature)
            if listed is None:
                continue
            if not isinstance(listed, list):
                raise ExportError(f"data.{feature} is not a list")
            prefix = prefixes[feature]
            for item in listed:
                out.write(prefix + encode(item) + "}\n")
            items += len(listed)
    return items


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organization-id", required=True)
    parser.add_argument("--user-id", required=True)
    parser.add_argument("--out", help="file to write (default: standard output)")
    args = parser.parse_args()
    for name, value in (("--organization-id", args.organization_id), ("--user-id", args.user_id)):
        if not value.strip():
            usage_error(f"{name} is empty; give the id as Velt knows it")

    api_key = os.environ.get("VELT_API_KEY", "")
    auth_token = os.environ.get("VELT_AUTH_TOKEN", "")
    if not api_key or not auth_token:
        usage_error("set VELT_API_KEY and VELT_AUTH_TOKEN (`velt fake serve` prints demo ones)")
    base_url = check_base_url(os.environ.get("VELT_BASE_URL") or DEFAULT_BASE_URL)

    sdk = VeltSDK.initialize({"apiKey": api_key, "authToken": auth_token})
    gdpr = sdk.api.gdpr
    gdpr.VELT_API_BASE_URL = base_url

    try:
        if args.out:
            # Written beside the target and renamed when complete: no half-written export.
            with open(args.out + ".part", "w", encoding="utf-8", newline="\n") as out:
                items = export(gdpr, args.organization_id, args.user_id, out)
            os.replace(args.out + ".part", args.out)
        else:
            sys.stdout.reconfigure(encoding="utf-8", newline="\n")
            items = export(gdpr, args.organization_id, args.user_id, sys.stdout)
            sys.stdout.flush()
    except BrokenPipeError:
        # Standard output closed early (`... | head -1`): end quietly, like `velt`.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except (ExportError, VeltApiError, OSError, UnicodeError) as e:
        if args.out and os.path.exists(args.out + ".part"):
            os.remove(args.out + ".part")
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"exported {items} items", file=sys.stderr)


if __name__ == "__main__":
    main()
