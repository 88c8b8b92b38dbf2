# The two commands the README promises, plus the lint CI runs and packaging.
.PHONY: run test lint package

run:
	cargo run -p klaxon -- serve

test:
	bash infra/test.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# sam build (cargo-lambda) and one zip per function in target/package;
# arm64 unless ARCH=x86_64.
package:
	bash infra/package.sh
