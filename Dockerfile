# signet's image, built from the release binaries rather than from source: the same layout as
# the release image that tools/release builds without a Docker daemon (internal/release:
# BuildImage), for those who build their own (GitLab, Tekton, docker://…@sha256:). The build
# context is the release's output directory, written by `go run ./tools/release` (the
# binaries, and rootfs/ with the CA bundle and /tmp in the image's modes); see docs/release.md:
#
#   docker buildx build --platform linux/amd64,linux/arm64 --build-arg BASE=IMAGE@sha256:HEX -f Dockerfile dist/
#
# BASE is the release image's base: a multi-platform image with a static /bin/sh for GitLab
# jobs, by digest; it has no default. Only COPY instructions follow it, so building the other
# platform needs no emulator. Like the release image, it sets no USER, WORKDIR, ENV or CMD.
ARG BASE
FROM ${BASE}
ARG TARGETARCH
COPY rootfs/ /
COPY --chmod=0555 signet-linux-${TARGETARCH} /signet
ENTRYPOINT ["/signet"]
