# syntax=docker/dockerfile:1.7
# The aml-operator controller image: a release build of `aml-operator` on distroless (glibc, CA
# certificates, no shell, no package manager), running as the non-root user 65532.
#
# Build (BuildKit; from the repository root):
#   docker build -t aml-operator:dev .
#   docker buildx build --platform linux/amd64 -t <registry>/aml-operator:<tag> --push .
# The Helm chart runs it as `aml-operator run ...` (ENTRYPOINT is the binary; the chart passes
# the subcommand and flags).

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS builder
# aws-lc-sys (rustls' crypto provider) compiles C; cmake covers its fallback build path.
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The whole workspace: cargo loads every member's manifest, even when building one package.
COPY . .
# Cache mounts keep the registry and target/ between builds; the binary is copied out of the
# cache mount so the next stage can see it. Symbols are stripped to keep the image small, and
# the dev-only emulators (the `sandbox` feature) are left out.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    CARGO_PROFILE_RELEASE_STRIP=symbols \
    cargo build --release --locked -p controller --bin aml-operator --no-default-features \
 && install -D -m 0755 target/release/aml-operator /out/aml-operator

FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="aml-operator" \
      org.opencontainers.image.description="Kubernetes controller for network-isolated Azure ML managed online endpoints" \
      org.opencontainers.image.source="https://github.com/aml-operator/aml-operator" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /out/aml-operator /usr/local/bin/aml-operator
USER 65532:65532
# Admin port: /healthz, /readyz, /metrics.
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/aml-operator"]
CMD ["run"]
