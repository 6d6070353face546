# agentgateway (Bun edition): the single binary on a distroless base, as a non-root user.
#
#   docker build -t agentgateway --build-arg VERSION=0.1.0 --build-arg GIT_REVISION=$(git rev-parse HEAD) .
#   docker run -p 4000:4000 -v $PWD/config.yaml:/config/config.yaml:ro -e OPENAI_API_KEY agentgateway
#
# Ports: the binds of your config (4000 in deploy/), 15020 metrics, 15021 readiness; the admin
# page (15000) stays on the container's loopback unless ADMIN_ADDR says otherwise.

FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production --ignore-scripts
COPY tsconfig.json bunfig.toml ./
COPY src ./src
COPY scripts ./scripts
ARG VERSION
ARG GIT_REVISION=unknown
ARG TARGETARCH=amd64
RUN target="linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64)" \
 && VERSION="${VERSION:-}" GIT_REVISION="$GIT_REVISION" bun scripts/release.ts --targets "$target" --out /out \
 && mv "/out/agentgateway-$target" /out/agentgateway \
 && /out/agentgateway --version

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/agentgateway /usr/local/bin/agentgateway
# Bun's fetch would send at most 256 upstream requests at once; set here, the binary need not
# restart itself to lift it (docs/operations.md, "Concurrent upstream requests")
ENV BUN_CONFIG_MAX_HTTP_REQUESTS=65535
USER 65532:65532
WORKDIR /config
EXPOSE 4000 15020 15021
HEALTHCHECK --interval=10s --timeout=4s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/agentgateway", "--healthcheck", "http://127.0.0.1:15021/healthz/ready"]
ENTRYPOINT ["/usr/local/bin/agentgateway"]
CMD ["-f", "/config/config.yaml"]
