# syntax=docker/dockerfile:1

# ---- build ----------------------------------------------------------------
FROM rust:1-bookworm AS builder
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# Migrations are embedded at compile time (embed_migrations!), so they are part of the build context.
COPY Cargo.toml Cargo.lock ./
COPY migrations ./migrations
COPY src ./src
# Cache the registry and target directory between builds (BuildKit); copy the binary out of the cache mount.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/build/target \
    cargo build --release --locked \
    && cp target/release/commissioning-hub /usr/local/bin/commissioning-hub

# ---- runtime --------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app
COPY --from=builder /usr/local/bin/commissioning-hub /usr/local/bin/commissioning-hub
WORKDIR /app
USER 10001:10001
ENV BIND=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["commissioning-hub"]
CMD ["serve", "--demo"]
