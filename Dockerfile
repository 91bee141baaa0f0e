# syntax=docker/dockerfile:1
#
# Parlor image: a Rust builder stage and a small Debian runtime stage.
#   docker build -t parlor .
#   docker run --rm -p 8765:8765 parlor                        # in-memory store
#   docker run --rm -p 8765:8765 -e PARLOR_REDIS_URL=redis://host:6379 parlor

############################ build ############################
FROM rust:1-bookworm AS builder
WORKDIR /src

# Dependency layer: compile every dependency against empty stand-ins for the
# crate's own targets. It is rebuilt only when Cargo.toml or Cargo.lock change.
# Every target the manifest names must exist, so each `[[bench]]` and `[[test]]` gets a
# stub too, read from the manifest rather than listed here.
COPY Cargo.toml Cargo.lock ./
COPY loadtest/Cargo.toml loadtest/
RUN mkdir -p src loadtest/src benches tests \
    && touch src/lib.rs \
    && echo 'fn main() {}' > src/main.rs \
    && echo 'fn main() {}' > loadtest/src/main.rs \
    && for kind in bench test; do \
         dir=$([ "$kind" = bench ] && echo benches || echo tests); \
         for name in $(sed -n "/^\[\[$kind\]\]/{n;s/^name = \"\(.*\)\"/\1/p}" Cargo.toml); do \
           echo 'fn main() {}' > "$dir/$name.rs"; \
         done; \
       done \
    && cargo build --release --locked --workspace \
    && rm -rf src benches tests loadtest/src

# The real sources, including web/ (embedded into the binary at compile time).
# COPY keeps the files' original modification times, which can be older than
# the stand-ins built above; touching them makes cargo rebuild the crate.
# The release profile keeps line tables for backtraces; in the image they would
# multiply the binary's size about five times, so they are stripped. Symbol
# names stay, and panic messages keep their file:line (not debug info).
COPY . .
RUN find src benches loadtest/src -name '*.rs' -exec touch {} + \
    && cargo build --release --locked --workspace \
    && install -m 0755 target/release/parlor target/release/parlor-loadtest /usr/local/bin/ \
    && strip --strip-debug /usr/local/bin/parlor /usr/local/bin/parlor-loadtest

############################ runtime ############################
FROM debian:bookworm-slim

# ca-certificates for rediss:// URLs, curl for the health check.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --uid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin parlor

COPY --from=builder /usr/local/bin/parlor /usr/local/bin/parlor-loadtest /usr/local/bin/

# Numeric ids of the parlor user, so orchestrators can verify it is not root.
USER 10001:10001
ENV PARLOR_LISTEN=0.0.0.0:8765
EXPOSE 8765

# /healthz answers 200 while the process runs; /readyz also checks the store,
# but a Redis outage should not get every node restarted, so liveness it is.
# Shell form on purpose: `|| exit 1` maps every curl failure to "unhealthy".
# hadolint ignore=DL3025
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8765/healthz || exit 1

# SIGTERM starts a graceful shutdown: clients get server_shutdown, then 1001.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/parlor"]
