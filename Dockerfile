# trustlens: one static binary with the dashboard's assets (echarts from npm,
# pinned by dashboard/web/package-lock.json) embedded.
FROM node:20-bookworm-slim AS assets
WORKDIR /src/dashboard/web
COPY dashboard/web/package.json dashboard/web/package-lock.json dashboard/web/copy-assets.js ./
RUN npm ci --no-audit --no-fund && mkdir -p ../static/vendor && npm run build

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=assets /src/dashboard/static/vendor/ dashboard/static/vendor/
RUN test -s dashboard/static/vendor/echarts.min.js \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /trustlens ./cmd/trustlens

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /trustlens /trustlens
USER nonroot
EXPOSE 8080 9101
ENTRYPOINT ["/trustlens"]
CMD ["run"]
