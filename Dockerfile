# Probity in a container: the `probity` binary alone, on a small base, as
# a non-root user. Every service runs from this one image (`serve members`,
# `serve study`, `serve oversight`); see docker-compose.yml.
#
#   docker build -t probity:dev .

# Build: the Rust toolchain's image; `proto/` is compiled by protox (pure
# Rust), so no protoc is needed.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p probity-cli \
    && cp target/release/probity /probity

# Run: Debian slim, no toolchain, no shell tools beyond the base's.
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /probity --shell /usr/sbin/nologin probity \
    && mkdir -p /probity \
    && chown probity /probity \
    && chmod 700 /probity
COPY --from=build /probity /usr/local/bin/probity
USER probity
WORKDIR /probity
# Keys, development certificates, tokens (a volume in compose).
ENV PROBITY_DATA_DIR=/probity
VOLUME ["/probity"]
EXPOSE 50051 9090
ENTRYPOINT ["probity"]
CMD ["--help"]
