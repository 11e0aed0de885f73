# Builds the emulator from crates.io sources only, then runs it on the AWS-shaped ports
# (API, MQTT, credentials, the iot:Jobs endpoint 8444) and MQTT over WebSockets (8884),
# with its state in /data (a volume). See docker-compose.yml.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY emulator emulator
COPY client client
COPY conformance conformance
RUN cargo build --release --locked -p iot-emulator

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/iot-emulator /usr/local/bin/iot-emulator
ENV IOT_EMULATOR_API_ADDR=0.0.0.0:4566 \
    IOT_EMULATOR_MQTT_ADDR=0.0.0.0:8883 \
    IOT_EMULATOR_CREDENTIALS_ADDR=0.0.0.0:8443 \
    IOT_EMULATOR_WS_ADDR=0.0.0.0:8884 \
    IOT_EMULATOR_JOBS_ADDR=0.0.0.0:8444 \
    IOT_EMULATOR_DATA_DIR=/data
VOLUME /data
EXPOSE 4566 8883 8443 8444 8884
HEALTHCHECK --interval=5s --timeout=3s --retries=10 \
  CMD curl -fsS http://127.0.0.1:4566/_emulator/health || exit 1
ENTRYPOINT ["iot-emulator"]
