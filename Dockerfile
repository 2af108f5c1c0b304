# STSR Studio engine + CLI (`stsr`) + the cohort workflow, for batch use (docs/cohort.md).
# Not the desktop app: no Electron, no renderer. Snakemake is included because cluster jobs run
# Snakemake's job script inside the container (SLURM with --use-singularity, Kubernetes).
#
#   docker build -t stsr-studio:0.1.0 .                                  # CPU
#   docker build -t stsr-studio:0.1.0-cuda --target cuda .               # NVIDIA GPU (CUDA 12)
#   docker run --rm -v "$PWD:/data" stsr-studio:0.1.0 import /data/C2 --project /data/p --json
#
# Pinned: Node 22 on Debian bookworm (Snakemake 7.21 from bookworm), the npm dependencies from
# package-lock.json (npm ci). No weights or data are fetched at run time.

ARG NODE_IMAGE=node:22.12.0-bookworm-slim

# ---- dependencies (compilers only in this stage; native modules build here if no prebuilt fits)
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/stsr
COPY package.json package-lock.json .npmrc ./
# Runtime dependencies only (tsx runs the TypeScript CLI; Electron and the build tools are dev).
# .npmrc keeps onnxruntime-node's CUDA download off; the cuda target below adds it.
RUN npm ci --omit=dev --no-audit --no-fund

# ---- CPU image
FROM ${NODE_IMAGE} AS cpu
RUN apt-get update \
 && apt-get install -y --no-install-recommends snakemake python3 ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/stsr
COPY --from=deps /opt/stsr/node_modules ./node_modules
COPY package.json tsconfig.base.json tsconfig.json tsconfig.node.json ./
COPY bin ./bin
COPY main ./main
COPY models ./models
COPY preload ./preload
COPY workflow ./workflow
RUN ln -s /opt/stsr/bin/stsr.mjs /usr/local/bin/stsr && stsr --help > /dev/null
# Projects and per-user settings go where the user mounts them; STSR_HOME keeps settings out of
# a read-only image home.
ENV STSR_HOME=/tmp/stsr-home \
    NODE_ENV=production
ENTRYPOINT ["/usr/bin/tini", "--", "stsr"]
CMD ["--help"]

# ---- CUDA image: the same engine with onnxruntime-node's CUDA 12 execution provider.
# Needs the NVIDIA container toolkit on the host (docker run --gpus all …; apptainer --nv).
FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04 AS cuda
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip ca-certificates tini \
 && pip3 install --no-cache-dir "snakemake==7.21.0" "pulp<2.8" \
 && rm -rf /var/lib/apt/lists/*
COPY --from=cpu /usr/local/bin/node /usr/local/bin/node
WORKDIR /opt/stsr
COPY --from=cpu /opt/stsr /opt/stsr
# The provider library ships separately from the npm package (see README, GPU acceleration).
RUN ONNXRUNTIME_NODE_INSTALL=true node node_modules/onnxruntime-node/script/install.js \
 && ln -s /opt/stsr/bin/stsr.mjs /usr/local/bin/stsr && stsr --help > /dev/null
ENV STSR_HOME=/tmp/stsr-home \
    NODE_ENV=production \
    STSR_PROVIDER=cuda
ENTRYPOINT ["/usr/bin/tini", "--", "stsr"]
CMD ["--help"]

# The default target is the CPU image.
FROM cpu
