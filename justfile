# Shortcuts for people who have `just`; every recipe is a plain command you can run without it.

# Run the server on :8080 with the demo tenant (creates and migrates the database).
run:
    cargo run --bin comanda-server -- --seed-demo

# Every test (starts PostgreSQL and Redis when they are down).
test *args:
    scripts/test {{args}}

# The benchmark of docs/performance.md#targets (release build, wrk, pgbench); prints one table. See docs/performance.md.
bench:
    scripts/bench

# What CI checks.
ci:
    bash .ci/run

lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    scripts/layer-guard

fmt:
    cargo fmt --all

migrate:
    cargo run --bin comanda -- migrate

seed:
    cargo run --bin comanda -- seed
