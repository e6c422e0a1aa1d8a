# Build: a static binary, templ output already committed.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/kefu ./cmd/kefu

# Run: kefu alone, as a non-root user. Point DATABASE_URL at PostgreSQL;
# the embedded database needs PostgreSQL's binaries, which this image leaves out.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kefu /kefu
ENV KEFU_ADDR=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 CMD ["/kefu", "healthcheck"]
ENTRYPOINT ["/kefu"]
