# The two commands the README promises, plus the lint CI runs.
.PHONY: run test lint

run:
	cargo run -p klaxon -- serve

test:
	bash infra/test.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
