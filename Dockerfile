# signet's release image: the static signet binary, CA certificates and an empty /tmp, nothing else.
# It serves the GitHub Action (action.yml), the Tekton Task and the GitLab component.
#
# The final stage is `scratch`, which needs no digest pin. The build stage's tag is not pinned
# by digest here: pin it (golang:1.26.8@sha256:...) when cutting a release, from the digest the
# registry reports for that tag.
FROM golang:1.26.8 AS build
# GitLab runs a job's script through a shell, so the image carries a static busybox (from
# Debian's busybox-static) as /bin/sh; GitHub and Tekton run /signet directly.
RUN apt-get update && apt-get install -y --no-install-recommends busybox-static && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# nolocalsigstore leaves the embedded Fulcio/TSA server code (and its cloud KMS SDKs) out.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -tags nolocalsigstore -o /signet .
# The root file system of the final image, with modes that any user can use: the binary
# 0555, the CA bundle 0444, /tmp world-writable with the sticky bit.
RUN mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp \
 && install -m 0555 /signet /rootfs/signet \
 && install -m 0444 /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt \
 && chmod 1777 /rootfs/tmp

FROM scratch
COPY --from=build /rootfs/ /
COPY --from=build /bin/busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENTRYPOINT ["/signet"]
