# ChatPaper: a static binary on a distroless base, run as a non-root user.
#   docker build -t chatpaper .
#   docker run -p 8080:8080 -v chatpaper-data:/data chatpaper
# docker-compose.yml runs it next to a local model server (Ollama).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# modernc.org/sqlite is pure Go, so the binary needs no C library.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/chatpaper ./cmd/chatpaper \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/chatpaper /usr/local/bin/chatpaper
# The data folder belongs to the nonroot user (65532) so a fresh named
# volume mounted there is writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV CHATPAPER_ADDR=0.0.0.0:8080 \
    CHATPAPER_DATA=/data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/chatpaper"]
CMD ["serve"]
