#!/usr/bin/env bash
# Provision an Apache Kafka broker for the integration tests: the server jars (kafka_2.13 and its
# runtime dependencies, plus a log4j binding) from Maven Central with `mvn`, into
#   ${DERMAGAN_CACHE:-~/.cache/dermagan}/kafka-<version>/libs
# A second run finds the `.complete` marker and downloads nothing. Prints the libs folder on stdout.
# The broker runs in KRaft mode on the machine's Java 17 (tests/servers/kafka.ts starts it).
#
# Env: DERMAGAN_CACHE (default ~/.cache/dermagan), DERMAGAN_KAFKA_VERSION (default 3.9.2).
set -euo pipefail

version="${DERMAGAN_KAFKA_VERSION:-3.9.2}"
cache="${DERMAGAN_CACHE:-$HOME/.cache/dermagan}"
home="$cache/kafka-$version"
say() { echo "[provision-kafka] $*" >&2; }

if [ -f "$home/.complete" ]; then
  echo "$home/libs"
  exit 0
fi

if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Java 17 and Maven with apt-get…"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless maven >&2
  fi
fi
command -v java >/dev/null || { say "java is missing: install a Java 17 runtime (apt-get install openjdk-17-jre-headless)"; exit 1; }
command -v mvn >/dev/null || { say "mvn is missing: install Maven (apt-get install maven)"; exit 1; }
java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[ "${java_major%%.*}" -ge 11 ] 2>/dev/null || { say "Kafka $version needs Java 11+, found '$java_major'"; exit 1; }

say "fetching Kafka $version server jars from Maven Central (about 46 MB, once)…"
rm -rf "$home"
mkdir -p "$home"
work="$(mktemp -d "$cache/kafka-pom.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cat > "$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.dermagan.provision</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
if ! mvn -B -q -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$home/libs" >"$work/mvn.log" 2>&1; then
  say "mvn could not fetch the jars; its output ends with:"
  tail -30 "$work/mvn.log" >&2
  exit 1
fi
ls "$home/libs"/kafka_2.13-"$version".jar >/dev/null
echo "$version" > "$home/.complete"
say "ready: $home/libs ($(ls "$home/libs" | wc -l) jars)"
echo "$home/libs"
