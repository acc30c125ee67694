# One image for every dermagan service; SERVICE picks which one runs.
#   docker build -t dermagan .                            CPU: native TensorFlow from the tensorflow-cpu wheel
#   docker build --build-arg TF=gpu -t dermagan:gpu .     GPU node pools: @tensorflow/tfjs-node-gpu's own install
FROM node:20-bookworm-slim
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
RUN npm ci --omit=dev --no-audit --no-fund \
    && if [ "$TF" = "gpu" ]; then npm install --no-save --ignore-scripts=false @tensorflow/tfjs-node-gpu@4.22.0; \
       else DERMAGAN_CACHE=/opt/dermagan-cache bash scripts/install-native-tf.sh; fi
# libs/tf/src/backend.ts: 'tensorflow' = native CPU, 'gpu' = @tensorflow/tfjs-node-gpu.
ENV NODE_ENV=production DERMAGAN_TF_BACKEND=$TF DERMAGAN_HTTP_PORT=8080
EXPOSE 8080
USER node
# SERVICE = ingest | gan-trainer | generator | metrics | classifier | fl-aggregator
# DERMAGAN_ENTRY picks another entry point of the service (gan-trainer's tenant mode: tenant-main).
CMD ["sh", "-c", "exec node --import tsx services/${SERVICE:?set SERVICE}/src/${DERMAGAN_ENTRY:-main}.ts"]
