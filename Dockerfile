# One image for every dermagan service; SERVICE picks which one runs.
#   docker build -t dermagan .                            CPU: native TensorFlow from the tensorflow-cpu wheel
#   docker build --build-arg TF=gpu -t dermagan:gpu .     GPU node pools: @tensorflow/tfjs-node-gpu's own install
#
# Two stages. `build` has the toolchain the native TensorFlow addon needs (g++, make, python3 and
# pip for node-gyp and the wheel) and installs the production node_modules. The runtime stage is a
# clean node:20-bookworm-slim with only ca-certificates added and the built /app copied in: no
# compiler, make, python or pip, and it runs as the image's non-root `node` user (uid 1000, which
# the chart's securityContext pins) with a read-only root filesystem in the cluster (scratch: /tmp).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG TF=tensorflow
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip g++ make ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.json ./
COPY libs libs
COPY services services
COPY cli cli
COPY bin bin
COPY scripts scripts
COPY data data
# The addon lands in node_modules/@tensorflow/tfjs-node; libtensorflow (which its `deps` link
# points at) in /opt/dermagan-cache. The wheel and the addon's build cache stay in this stage.
RUN mkdir -p /opt/dermagan-cache && npm ci --omit=dev --no-audit --no-fund \
    && if [ "$TF" = "gpu" ]; then npm install --no-save --ignore-scripts=false @tensorflow/tfjs-node-gpu@4.22.0; \
       else DERMAGAN_CACHE=/opt/dermagan-cache bash scripts/install-native-tf.sh; fi \
    && rm -rf /opt/dermagan-cache/wheels /opt/dermagan-cache/addon && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ARG TF=tensorflow
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build --chown=root:root /opt/dermagan-cache /opt/dermagan-cache
COPY --from=build --chown=root:root /app /app
# libs/tf/src/backend.ts: 'tensorflow' = native CPU, 'gpu' = @tensorflow/tfjs-node-gpu.
# TMPDIR: tsx's compile cache and the work folder go to /tmp, the one writable mount.
ENV NODE_ENV=production DERMAGAN_TF_BACKEND=$TF DERMAGAN_HTTP_PORT=8080 TMPDIR=/tmp
EXPOSE 8080
USER 1000:1000
# SERVICE = ingest | gan-trainer | generator | metrics | classifier | fl-aggregator | launcher
# DERMAGAN_ENTRY picks another entry point of the service: gan-trainer's tenant mode (tenant-main)
# and a training Job's worker (job-main, started by the launcher).
CMD ["sh", "-c", "exec node --import tsx services/${SERVICE:?set SERVICE}/src/${DERMAGAN_ENTRY:-main}.ts"]
