"""Writes the GitHub REST API description that the tracker's tests run
against: the one @octokit/openapi publishes (pinned in package-lock.json),
with one mechanical change so the mock can validate every operation.

Prism compiles each request schema with Ajv, which rejects `nullable: true`
on a schema without a `type` (GitHub writes `milestone` that way, as a
nullable oneOf). Prism then skips validating that operation's body without a
word. Dropping `nullable` there makes the schema stricter (null is refused),
never looser, so a request that passes here passes GitHub's own rules.

usage: prepare.py OUT.json
"""

import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
source = os.path.join(
    here, "node_modules", "@octokit", "openapi", "generated", "api.github.com.json"
)


def strip(node, counter):
    if isinstance(node, dict):
        if node.get("nullable") is True and "type" not in node:
            del node["nullable"]
            counter[0] += 1
        for v in node.values():
            strip(v, counter)
    elif isinstance(node, list):
        for v in node:
            strip(v, counter)


def main():
    out = sys.argv[1]
    with open(source) as f:
        doc = json.load(f)
    counter = [0]
    strip(doc, counter)
    with open(out, "w") as f:
        json.dump(doc, f)
    print(
        f"GitHub API description {doc['info'].get('version', '?')}: "
        f"{len(doc['paths'])} paths, {counter[0]} typeless nullable schemas made strict",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
