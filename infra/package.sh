#!/usr/bin/env bash
# `make package`: builds every Lambda function of template.yaml with
# `sam build` (the rust-cargolambda build method, so cargo-lambda and zig),
# then zips each function's bootstrap into target/package/<binary>-<arch>.zip
# and prints its size.
#
#   make package                 # arm64, what the template deploys by default
#   ARCH=x86_64 make package     # x86_64; deploy with Architecture=x86_64
#
# Needs Rust (rustup) and Python 3; installs the SAM CLI, cargo-lambda and zig
# from infra/package-requirements.txt into .venv/package on first use
# (KLAXON_PACKAGE_VENV overrides the path). `sam deploy` afterwards uses
# the build in .aws-sam/build.
set -euo pipefail
cd "$(dirname "$0")/.."

arch="${ARCH:-arm64}"
case "$arch" in
  arm64 | aarch64) arch=arm64 triple=aarch64-unknown-linux-gnu elf_machine=183 ;;
  x86_64 | x86-64 | amd64) arch=x86_64 triple=x86_64-unknown-linux-gnu elf_machine=62 ;;
  *)
    echo "error: ARCH must be arm64 or x86_64, not '$arch'" >&2
    exit 2
    ;;
esac

# Budget per zipped function, 4 MB read as 4,000,000 bytes (the stricter
# reading; docs/PERFORMANCE.md); over it is a warning.
budget=4000000

for tool in cargo python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool is not on PATH; make package needs Rust (rustup) and Python 3" >&2
    exit 1
  fi
done

# The Rust standard library for the Lambda target. cargo-lambda links with
# zig, but the std for the target still comes from rustup.
sysroot="$(rustc --print sysroot)"
if [ ! -d "$sysroot/lib/rustlib/$triple/lib" ]; then
  echo "adding the Rust target $triple" >&2
  if ! command -v rustup >/dev/null 2>&1 || ! rustup target add "$triple"; then
    echo "error: building for $arch needs Rust's $triple standard library, and" >&2
    echo "  'rustup target add $triple' did not install it. Install it, or build for" >&2
    echo "  the other architecture, e.g. ARCH=x86_64 make package, and deploy that with" >&2
    echo "  sam deploy --parameter-overrides Architecture=x86_64 ..." >&2
    exit 1
  fi
fi

venv="${KLAXON_PACKAGE_VENV:-.venv/package}"
if ! cmp -s infra/package-requirements.txt "$venv/.installed-requirements" 2>/dev/null; then
  echo "installing the SAM CLI, cargo-lambda and zig into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r infra/package-requirements.txt
  cp infra/package-requirements.txt "$venv/.installed-requirements"
fi
venv_bin="$(cd "$venv/bin" && pwd)"
# `cargo lambda` is cargo finding cargo-lambda on PATH; cargo-lambda finds
# zig through this venv's python (`python3 -m ziglang`).
export PATH="$venv_bin:$PATH"
export SAM_CLI_TELEMETRY=0
# The Lambda zips optimise for size ("z"); `klaxon serve` and the benches
# keep the release profile's "s". A Lambda's time goes to AWS calls, and "z"
# is what brings intake and respond under 4 MB (docs/PERFORMANCE.md).
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${CARGO_PROFILE_RELEASE_OPT_LEVEL:-z}"
# And they abort on a panic rather than unwind: no unwinding tables, 12 % off
# respond's zip (docs/PERFORMANCE.md). lambda_runtime would have caught a
# handler's panic and failed that invocation; aborted, the invocation fails
# all the same (retried, then dead-lettered, or a 502) and Lambda starts a
# fresh environment. `klaxon serve` keeps unwinding: its relay lanes outlive
# a panicking task.
export CARGO_PROFILE_RELEASE_PANIC="${CARGO_PROFILE_RELEASE_PANIC:-abort}"

echo "sam build: $arch ($(cargo lambda --version 2>/dev/null), $(sam --version))" >&2
# The build directory ignores itself, like cargo's target/.
mkdir -p .aws-sam && printf '*\n' > .aws-sam/.gitignore
start=$(date +%s)
# --no-cached: the source of every function is the whole repository, target/
# included, so SAM's source hash would cost more than the build it saves;
# cargo's own incremental build is the cache.
sam build --beta-features --no-cached --template-file template.yaml \
  --parameter-overrides "Architecture=$arch"
elapsed=$(($(date +%s) - start))

out="${CARGO_TARGET_DIR:-target}/package"
mkdir -p "$out"
"$venv_bin/python" - template.yaml .aws-sam/build "$out" "$arch" "$elf_machine" "$budget" <<'PY'
import os
import sys
import zipfile

import yaml

template_path, build_dir, out_dir, arch, elf_machine, budget = sys.argv[1:]
elf_machine, budget = int(elf_machine), int(budget)


class Loader(yaml.SafeLoader):
    pass


# !Ref, !Sub and friends: only their presence matters here.
Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
with open(template_path) as f:
    template = yaml.load(f, Loader=Loader)

functions = {
    name: resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary", name)
    for name, resource in template["Resources"].items()
    if resource.get("Type") == "AWS::Serverless::Function"
}
if not functions:
    sys.exit("error: template.yaml declares no AWS::Serverless::Function")

over = []
packed = set()
for logical_id, binary in sorted(functions.items(), key=lambda kv: kv[1]):
    if binary in packed:
        continue
    packed.add(binary)
    bootstrap = os.path.join(build_dir, logical_id, "bootstrap")
    # Functions with the same build (PageFunction runs notify's binary)
    # share one, which SAM names after the first: <logical id>-Shared.
    if not os.path.isfile(bootstrap):
        shared = [
            os.path.join(build_dir, d, "bootstrap")
            for d in sorted(os.listdir(build_dir))
            if d.endswith("-Shared") and functions.get(d[: -len("-Shared")]) == binary
        ]
        bootstrap = next((b for b in shared if os.path.isfile(b)), bootstrap)
    if not os.path.isfile(bootstrap):
        sys.exit(f"error: sam build left no {bootstrap}")
    with open(bootstrap, "rb") as f:
        header = f.read(20)
    # ELF e_machine (little-endian, offset 18): 62 is x86-64, 183 is AArch64.
    if header[:4] != b"\x7fELF" or int.from_bytes(header[18:20], "little") != elf_machine:
        sys.exit(f"error: {bootstrap} is not a Linux executable for {arch}")
    zip_path = os.path.join(out_dir, f"{binary}-{arch}.zip")
    # A fixed timestamp and mode: the same binary gives the same zip.
    info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o100755 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(bootstrap, "rb") as f:
        data = f.read()
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr(info, data, compresslevel=9)
    size = os.path.getsize(zip_path)
    note = "" if size <= budget else "  OVER the 4 MB (4,000,000 B) budget"
    if note:
        over.append(binary)
    print(f"{zip_path}  {size / 1048576:.2f} MiB zipped ({size} bytes; bootstrap {len(data)} bytes){note}")
if over:
    print(f"warning: over budget: {', '.join(over)}", file=sys.stderr)
PY
echo "built $arch in ${elapsed}s; sam deploy uses .aws-sam/build" >&2
