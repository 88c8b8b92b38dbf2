#!/usr/bin/env python3
"""The secret scan: greps every file under the given paths (the store's
database and WAL, outbox.jsonl, serve's log) for secret values that were fed
in, and exits 1 on any match.

  printf '%s\\n' "$secret1" "$secret2" | python3 bench/secret_scan.py DIR_OR_FILE...

The secrets come on stdin, one per line, so they never show in `ps`.
Matches are reported by path and the secret's first six characters.
"""

import os
import sys


def files(paths):
    for top in paths:
        if os.path.isfile(top):
            yield top
        for dirpath, _, names in os.walk(top):
            for name in names:
                yield os.path.join(dirpath, name)


def scan(paths, secrets):
    """Returns (path, secret prefix) for every secret found in every file."""
    needles = [s.encode() for s in secrets]
    # Chunks overlap by the longest secret, so none is missed at a seam.
    overlap = max(map(len, needles)) - 1
    found = []
    for path in files(paths):
        hits = set()
        with open(path, "rb") as f:
            tail = b""
            while chunk := f.read(1 << 24):
                window = tail + chunk
                hits.update(i for i, n in enumerate(needles) if n in window)
                tail = window[-overlap:] if overlap else b""
        found.extend((path, secrets[i][:6] + "...") for i in sorted(hits))
    return found


def main():
    secrets = [line.strip() for line in sys.stdin if line.strip()]
    if not secrets or len(sys.argv) < 2:
        sys.exit("usage: secrets on stdin, one per line; paths as arguments")
    found = scan(sys.argv[1:], secrets)
    n = sum(1 for _ in files(sys.argv[1:]))
    print(f"secret scan: {len(secrets)} secrets, {n} files: {len(found)} matches {found}")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
